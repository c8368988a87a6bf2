"""Subscription plans and recurring order plans (docs/product.md "Subscription plans", seeds/subscription-plans-api.md).

Named `subscriptions`, not `plans`: `planhub.plans` are the Go1 learning plans (docs/product.md "Plans").
"""
