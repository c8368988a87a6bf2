"""The local Stripe test endpoint over HTTP, as the SDK and people reach it: Stripe's answers
and error shapes, idempotent replays, and the /_control routes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from planhub_local.stripe_endpoint import TEST_SECRET_KEY, StripeEndpoint


def call(
    endpoint: StripeEndpoint,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    *,
    key: str | None = TEST_SECRET_KEY,
    idempotency_key: str | None = None,
    json_body: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    data = json.dumps(json_body).encode() if json_body is not None else (urlencode(form).encode() if form else None)
    request = urllib.request.Request(endpoint.url + path, data=data, method=method)  # noqa: S310 - the local endpoint
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if idempotency_key:
        request.add_header("Idempotency-Key", idempotency_key)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the local endpoint
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_a_charge_replayed_with_its_idempotency_key_is_the_same_answer_and_no_second_charge(
    stripe_endpoint: StripeEndpoint,
) -> None:
    form = {"amount": "700", "currency": "nok", "source": "tok_visa"}

    first = call(stripe_endpoint, "POST", "/v1/charges", form, idempotency_key="k1")
    again = call(stripe_endpoint, "POST", "/v1/charges", form, idempotency_key="k1")

    assert first[0] == again[0] == 200
    assert first[1] == again[1]
    assert again[2].get("Idempotent-Replayed") == "true"
    assert len(stripe_endpoint.charges) == 1


def test_errors_have_stripes_shape_and_status(stripe_endpoint: StripeEndpoint) -> None:
    status, body, _ = call(stripe_endpoint, "POST", "/v1/customers", {"source": "tok_chargeDeclined"})
    assert status == 402
    assert body["error"]["type"] == "card_error"
    assert (body["error"]["code"], body["error"]["decline_code"]) == ("card_declined", "generic_decline")

    status, body, _ = call(
        stripe_endpoint, "POST", "/v1/charges", {"amount": "1", "currency": "eur", "customer": "cus_x"}
    )
    assert (status, body["error"]["code"], body["error"]["param"]) == (400, "resource_missing", "customer")

    status, body, _ = call(stripe_endpoint, "POST", "/v1/charges", {"amount": "1"}, key=None)
    assert status == 401 and body["error"]["type"] == "invalid_request_error"


def test_control_routes_limit_requests_fail_refunds_list_and_reset(stripe_endpoint: StripeEndpoint) -> None:
    assert (
        call(stripe_endpoint, "POST", "/_control/rate_limit", json_body={"next": 2, "code": "lock_timeout"})[0] == 200
    )
    limited = [
        call(stripe_endpoint, "POST", "/v1/charges", {"amount": "5", "currency": "eur", "source": "tok_visa"})
        for _ in range(3)
    ]
    assert [answer[0] for answer in limited] == [429, 429, 200]
    assert limited[0][1]["error"]["code"] == "lock_timeout"

    call(stripe_endpoint, "POST", "/_control/fail_refunds", json_body={"next": 1})
    charge_id = limited[2][1]["id"]
    refunds = [
        call(stripe_endpoint, "POST", "/v1/refunds", {"charge": charge_id}, idempotency_key="r")[0] for _ in range(2)
    ]
    assert refunds == [500, 200]  # the failed attempt was not saved under the key

    listed = call(stripe_endpoint, "GET", "/_control/charges")[1]["data"]
    assert [c["id"] for c in listed] == [charge_id]
    assert call(stripe_endpoint, "GET", "/_control/refunds")[1]["data"][0]["charge"] == charge_id
    call(stripe_endpoint, "POST", "/_control/reset")
    assert stripe_endpoint.charges == [] and stripe_endpoint.refunds == []


def test_a_rate_limit_for_some_seconds_answers_429_to_everything_meanwhile(stripe_endpoint: StripeEndpoint) -> None:
    call(stripe_endpoint, "POST", "/_control/rate_limit", json_body={"seconds": 30})

    statuses = [call(stripe_endpoint, "GET", "/v1/charges/ch_x")[0] for _ in range(5)]

    assert statuses == [429] * 5
    assert stripe_endpoint.rate_limited == 5
