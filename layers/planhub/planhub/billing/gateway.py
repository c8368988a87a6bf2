"""What billing needs of the payment provider, from the shared payments package: a charge
with an idempotency key (the gateway retries 429 / lock_timeout with that same key and
backoff), and two kinds of failure (declined for good; unavailable for now)."""

from __future__ import annotations

from planhub.errors import PaymentDeclined, PaymentUnavailable
from planhub.payments import PaymentGateway as Gateway
from planhub.payments import StripeCharge as Charged
from planhub.payments import StripeGateway

__all__ = ["Charged", "Gateway", "PaymentDeclined", "PaymentUnavailable", "from_environment"]


def from_environment() -> Gateway:
    """The production gateway: Stripe's SDK (locally, the test endpoint at STRIPE_API_BASE)."""
    return StripeGateway.from_environment()
