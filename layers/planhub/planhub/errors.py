"""Domain errors: one type per kind of failure.

The domain raises these; `planhub.http.errors` is the one place that turns each into an
HTTP answer, so no handler ever chooses a status code or matches message text.
"""

from __future__ import annotations

from typing import Any


class PlanhubError(Exception):
    """Base of every error the API answers with a 4xx."""

    def __init__(self, message: str, *, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(PlanhubError):
    """The request is malformed or breaks a validation rule (400)."""


class Unauthenticated(PlanhubError):
    """No valid token (401; the Go1 routes answer 403, as their seeds say)."""


class Forbidden(PlanhubError):
    """The caller is known but may not do this (403)."""


class NotFound(PlanhubError):
    """The addressed thing does not exist, or the caller may not know it exists (404)."""


class Conflict(PlanhubError):
    """The request contradicts the current state (409), e.g. updating a static plan."""


class ConcurrentModification(Conflict):
    """Someone else changed the thing between our read and our write (409); retry."""


class LimitExceeded(PlanhubError):
    """A commercial control refused the request (429).

    `code` is one of api_rate_limited, api_quota_exceeded, api_balance_exhausted;
    `retry_after_seconds` is None when only a top-up helps.
    """

    def __init__(self, message: str, *, code: str, retry_after_seconds: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after_seconds = retry_after_seconds


class PaymentRequired(Forbidden):
    """A paid learning object was requested without a valid payment (403, as the seed says)."""


class PaymentDeclined(PlanhubError):
    """The payment provider refused the card or the charge for good (402): retrying cannot help.

    `code` is Stripe's (`card_declined`, `expired_card`, ...); `message` is safe to show the caller.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PaymentUnavailable(PlanhubError):
    """The payment provider could not be reached or kept refusing for load (rate_limit,
    lock_timeout, network, 5xx) after the gateway's own bounded retries (503). Retrying later
    with the same idempotency key is safe."""
