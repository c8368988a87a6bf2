"""Money shared by the areas that take it (enrolments, billing): the Stripe gateway (customers,
charges, refunds), the durable refund path, and the caller's payment methods (docs/product.md "Billing").

This package imports no area. Importing it does not import `stripe`: the SDK is loaded on the
first call that talks to Stripe.
"""

from planhub.errors import PaymentDeclined, PaymentUnavailable
from planhub.payments.gateway import (
    Card,
    PaymentGateway,
    RetryPolicy,
    StripeCharge,
    StripeCustomer,
    StripeGateway,
    StripeRefund,
)
from planhub.payments.refunds import request_refund

__all__ = [
    "Card",
    "PaymentDeclined",
    "PaymentGateway",
    "PaymentUnavailable",
    "RetryPolicy",
    "StripeCharge",
    "StripeCustomer",
    "StripeGateway",
    "StripeRefund",
    "request_refund",
]
