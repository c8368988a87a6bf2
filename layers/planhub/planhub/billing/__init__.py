"""Billing (docs/product.md "Billing"): subscriptions and their lifecycle, invoices billed in advance
per period, payments, and the orders of recurring order plans.

Its one dependency is `planhub.payments` (the Stripe gateway, payment methods, durable
refunds); it reads the subscription plans' stored items itself (`billing.plans`), never
`planhub.subscriptions`' code.
"""
