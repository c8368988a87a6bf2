"""Subscription plans and recurring order plans (SPEC.md section 7, seeds/subscription-plans-api.md).

Named `subscriptions`, not `plans`: `planhub.plans` are the Go1 learning plans (SPEC.md section 4).
"""
