"""The Stripe gateway: the official `stripe` SDK (Charges API), with idempotency keys and
bounded retries of Stripe's transient answers.

- The secret key is read from the SSM SecureString named by STRIPE_SECRET_PARAMETER (the
  template's `StripeSecretParameterName`), on the first call, cached 5 minutes.
- STRIPE_API_BASE, when set, replaces the SDK's api_base (the local test endpoint).
- Transient answers (429 `rate_limit` or `lock_timeout`, 409 idempotency conflicts, 5xx,
  network errors) are retried here, with exponential backoff and jitter, always with the SAME
  idempotency key, so a retry never charges twice. Still failing after `RetryPolicy.attempts`:
  `PaymentUnavailable`. A refusal for good (card_declined, invalid token, ...): `PaymentDeclined`.
"""

from __future__ import annotations

import functools
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from pydantic import Field

from planhub.errors import PaymentDeclined, PaymentUnavailable
from planhub.observability import logger
from planhub.settings import Environment

if TYPE_CHECKING:
    import stripe

STRIPE_SECRET_PARAMETER = "STRIPE_SECRET_PARAMETER"  # noqa: S105 - the variable naming the parameter
SECRET_MAX_AGE_SECONDS = 300
RETRYABLE_CODES = frozenset({"rate_limit", "lock_timeout"})

T = TypeVar("T")


class StripeEnvironment(Environment):
    """Where the Stripe secret is (SSM parameter name) and, locally, where Stripe is."""

    stripe_secret_parameter: str | None = Field(default=None, alias=STRIPE_SECRET_PARAMETER)
    stripe_api_base: str | None = Field(default=None, alias="STRIPE_API_BASE")


@dataclass(frozen=True)
class RetryPolicy:
    """How long the gateway keeps trying a transient failure within one call.

    Defaults: 5 attempts, waits of 0.25, 0.5, 1 and 2 s (each 50-100% of that, jittered):
    at most 3.75 s of waiting, well inside an API function's 10 s timeout.
    """

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 2.0

    def delay(self, retry: int) -> float:
        """The wait before retry number `retry` (1-based)."""
        ceiling = min(self.base_delay * 2.0 ** (retry - 1), self.max_delay)
        return ceiling * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not a secret


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class StripeCustomer:
    id: str
    card: Card


@dataclass(frozen=True)
class StripeCharge:
    id: str
    amount: int
    currency: str


@dataclass(frozen=True)
class StripeRefund:
    id: str
    amount: int


class PaymentGateway(Protocol):
    """What the areas need from a card processor (StripeGateway is the one implementation)."""

    def create_customer(self, *, token: str, email: str | None, idempotency_key: str) -> StripeCustomer: ...

    def charge(
        self,
        *,
        customer_id: str | None,
        amount: int,
        currency: str,
        idempotency_key: str,
        description: str,
        token: str | None = None,
    ) -> StripeCharge: ...

    def refund(self, *, charge_id: str, amount: int | None, idempotency_key: str) -> StripeRefund: ...


class StripeGateway:
    """The official SDK against Stripe (or, locally, the test endpoint at STRIPE_API_BASE)."""

    def __init__(
        self,
        secret_parameter: str | None,
        *,
        api_base: str | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._secret_parameter = secret_parameter
        self._api_base = api_base
        self._retry = retry
        self._sleep = sleep

    @classmethod
    def from_environment(cls) -> Self:
        """Reads the function's environment now (at import, as every setting); the SDK later."""
        environment = StripeEnvironment.load()
        return cls(environment.stripe_secret_parameter, api_base=environment.stripe_api_base)

    @property
    def retry(self) -> RetryPolicy:
        return self._retry or DEFAULT_RETRY

    @functools.cached_property
    def client(self) -> stripe.StripeClient:
        import stripe
        from aws_lambda_powertools.utilities import parameters

        if not self._secret_parameter:
            raise RuntimeError(f"configure {STRIPE_SECRET_PARAMETER} to take Stripe payments")
        secret = parameters.get_parameter(self._secret_parameter, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)
        # Read at import (StripeEnvironment); else now, for a local endpoint started after the import.
        api_base = self._api_base or os.environ.get("STRIPE_API_BASE")
        base_addresses: Any = {"api": api_base} if api_base else None
        # The SDK's own retries are off: this class retries, with bounds and errors of its own.
        return stripe.StripeClient(str(secret), base_addresses=base_addresses, max_network_retries=0)

    # --- the calls ----------------------------------------------------------------------

    def create_customer(self, *, token: str, email: str | None, idempotency_key: str) -> StripeCustomer:
        """A customer holding the card `token` stands for; refused cards raise PaymentDeclined."""
        params: Any = {"source": token, "expand": ["sources"]}
        if email:
            params["email"] = email
        customer = self._call(lambda: self.client.v1.customers.create(params, {"idempotency_key": idempotency_key}))
        return StripeCustomer(id=str(customer.id), card=_card_of(customer))

    def charge(
        self,
        *,
        customer_id: str | None,
        amount: int,
        currency: str,
        idempotency_key: str,
        description: str,
        token: str | None = None,
    ) -> StripeCharge:
        """Charges `amount` minor units of the customer's default card (or of a one-time `token`)."""
        if not customer_id and not token:
            raise ValueError("a charge needs a customer or a card token")
        params: Any = {"amount": amount, "currency": currency.lower(), "description": description}
        if token:
            params["source"] = token
        if customer_id:
            params["customer"] = customer_id
        charge = self._call(lambda: self.client.v1.charges.create(params, {"idempotency_key": idempotency_key}))
        return StripeCharge(id=str(charge.id), amount=int(charge.amount), currency=currency)

    def refund(self, *, charge_id: str, amount: int | None, idempotency_key: str) -> StripeRefund:
        """Gives back `amount` (None: all that is left) of the charge."""
        params: Any = {"charge": charge_id}
        if amount is not None:
            params["amount"] = amount
        refund = self._call(lambda: self.client.v1.refunds.create(params, {"idempotency_key": idempotency_key}))
        return StripeRefund(id=str(refund.id), amount=int(refund.amount))

    # --- retries and errors -------------------------------------------------------------

    def _call(self, request: Callable[[], T]) -> T:
        import stripe

        policy = self.retry
        for attempt in range(1, policy.attempts + 1):
            try:
                return request()
            except stripe.StripeError as error:
                if not _transient(error):
                    raise _final(error) from error
                if attempt == policy.attempts:
                    raise PaymentUnavailable(
                        f"The payment provider is unavailable ({_code(error) or type(error).__name__}); try again later"
                    ) from error
                logger.warning(
                    "Stripe answered a transient error; retrying with the same idempotency key",
                    extra={"code": _code(error), "status": error.http_status, "attempt": attempt},
                )
                self._sleep(policy.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover


def _code(error: stripe.StripeError) -> str | None:
    body: Any = error.json_body or {}
    code = error.code or (body.get("error") or {}).get("code")
    return str(code) if code else None


def _transient(error: stripe.StripeError) -> bool:
    import stripe

    if isinstance(error, stripe.RateLimitError | stripe.APIConnectionError):
        return True
    if _code(error) in RETRYABLE_CODES or error.http_status == 429:
        return True
    # 409: another request with the same idempotency key is in flight; 5xx: Stripe's side.
    return error.http_status is not None and (error.http_status == 409 or error.http_status >= 500)


def _final(error: stripe.StripeError) -> PaymentDeclined:
    import stripe

    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        raise RuntimeError("the Stripe secret key was refused") from error
    default = "The card was declined" if isinstance(error, stripe.CardError) else "The payment was not accepted"
    return PaymentDeclined(_code(error) or "payment_refused", error.user_message or default)


def _card_of(stripe_customer: Any) -> Card:
    customer: Any = stripe_customer.to_dict()
    sources = customer.get("sources") or {}
    cards = [s for s in (sources.get("data") or []) if s.get("id") == customer.get("default_source")]
    card = cards[0] if cards else (sources.get("data") or [{}])[0]
    return Card(
        brand=str(card.get("brand", "")),
        last4=str(card.get("last4", "")),
        exp_month=int(card.get("exp_month", 0)),
        exp_year=int(card.get("exp_year", 0)),
    )
