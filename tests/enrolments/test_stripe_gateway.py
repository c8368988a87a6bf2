"""The real Stripe gateway speaks Stripe's API (checked against a recording HTTP client, no network)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe

from planhub.enrolments.payments import PaymentDeclined, StripePaymentGateway


class RecordingHttpClient(stripe.HTTPClient):
    """Answers like Stripe would, and remembers what was asked."""

    name = "recording"

    def __init__(self, status: int = 200, answer: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.status = status
        self.answer = answer or {"id": "ch_123", "object": "charge"}
        self.requests: list[tuple[str, str, dict[str, str], dict[str, list[str]]]] = []

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, **_: Any) -> tuple[str, int, Any]:
        form = parse_qs(post_data.decode() if isinstance(post_data, bytes) else (post_data or ""))
        self.requests.append((method, url, dict(headers or {}), form))
        return json.dumps(self.answer), self.status, {}

    def close(self) -> None:
        pass


def gateway_with(http: RecordingHttpClient) -> StripePaymentGateway:
    gateway = StripePaymentGateway("/planhub/stripe-secret-key")
    gateway.__dict__["_client"] = stripe.StripeClient("sk_test_planhub", http_client=http, max_network_retries=0)
    return gateway


def test_a_charge_sends_amount_currency_source_and_idempotency_key() -> None:
    http = RecordingHttpClient()

    charge = gateway_with(http).charge(
        amount=4900, currency="USD", token="tok_visa", customer=None, description="lo-1", idempotency_key="enrolment-7"
    )

    method, url, headers, form = http.requests[0]
    assert (method, url.rsplit("/", 2)[-2:]) == ("post", ["v1", "charges"])
    assert form == {"amount": ["4900"], "currency": ["usd"], "source": ["tok_visa"], "description": ["lo-1"]}
    assert headers["Idempotency-Key"] == "enrolment-7"
    assert charge.id == "ch_123"


def test_a_declined_card_is_a_payment_declined() -> None:
    declined = {"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}}
    http = RecordingHttpClient(status=402, answer=declined)

    with pytest.raises(PaymentDeclined, match="declined"):
        gateway_with(http).charge(
            amount=100, currency="EUR", token="tok_bad", customer=None, description="x", idempotency_key="k"
        )
