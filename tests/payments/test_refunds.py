"""Refunds never get lost: `request_refund` is an outbox event; the RefundChargeFunction consumer
refunds with the same idempotency key until Stripe confirms (gateway retries, Lambda's retries,
then the dead-letter queue and `make replay`), and records the outcome. Refunds are counted at
the Stripe test endpoint."""

from __future__ import annotations

from typing import Any

from operations.replay import replay
from planhub.events import DomainEvent, EventType
from planhub.payments import request_refund
from planhub.storage import Table
from planhub.storage import keys as table_keys
from planhub_local.stack import LocalStack
from planhub_local.stripe_endpoint import StripeEndpoint
from tests.conftest import Published


def requested(
    stack: LocalStack, endpoint: StripeEndpoint, *, amount: int | None = None, key: str = "inv-1-refund"
) -> str:
    """A charge of 5000 at the endpoint and its refund requested (the outbox write, in a transaction): the charge id."""
    customer = endpoint.create_customer("tok_visa")
    status, charge, _ = endpoint.handle(
        "POST",
        "/v1/charges",
        {"customer": [customer], "amount": ["5000"], "currency": ["eur"]},
        authorization="Bearer sk_test_x",
        idempotency_key="inv-1",
    )
    assert status == 200
    write = request_refund(
        charge_id=charge["id"],
        amount=amount,
        currency="EUR",
        idempotency_key=key,
        subject={"type": "invoice", "id": "inv-1"},
        actor="u1",
    )
    Table(stack.table_name).transact([write])
    return str(charge["id"])


def refund_record(stack: LocalStack, key: str = "inv-1-refund") -> dict[str, Any] | None:
    return Table(stack.table_name).get(table_keys.refund(key))


def test_a_requested_refund_is_made_and_recorded_with_an_event(
    stack: LocalStack, stripe_endpoint: StripeEndpoint, published: Published
) -> None:
    charge_id = requested(stack, stripe_endpoint, amount=1250)

    stack.drain()

    [refund] = stripe_endpoint.refunds
    assert (refund["charge"], refund["amount"], refund["idempotency_key"]) == (charge_id, 1250, "inv-1-refund")
    record = refund_record(stack)
    assert record is not None
    assert (record["status"], record["refund_id"], record["refunded_amount"]) == ("succeeded", refund["id"], 1250)
    [succeeded] = published.events(EventType.REFUND_SUCCEEDED)
    assert succeeded["data"]["subject"] == {"type": "invoice", "id": "inv-1"}


def test_a_refund_failing_past_every_retry_waits_in_the_dead_letter_queue_and_replay_refunds_it_once(
    stack: LocalStack, stripe_endpoint: StripeEndpoint
) -> None:
    # Given Stripe failing every refund attempt for a while
    stripe_endpoint.fail_refunds(1000)
    requested(stack, stripe_endpoint)
    stack.drain()
    assert stripe_endpoint.refunds == []
    assert refund_record(stack) is None
    assert [f["requestPayload"]["detail-type"] for f in stack.failures] == ["refund requested"]

    # When Stripe is back and the dead letters are replayed (twice, for good measure)
    stripe_endpoint.fail_refunds(0)
    replay(stack.sqs, stack.events, stack.failure_queue_url, stack.bus_name)
    stack.drain()
    replay(stack.sqs, stack.events, stack.failure_queue_url, stack.bus_name)
    stack.drain()

    # Then the charge is refunded once, and recorded
    assert len(stripe_endpoint.refunds) == 1
    record = refund_record(stack)
    assert record is not None and record["status"] == "succeeded"


def test_a_redelivered_request_refunds_once(stack: LocalStack, stripe_endpoint: StripeEndpoint) -> None:
    requested(stack, stripe_endpoint)
    stack.drain()
    [delivered] = [d.event for d in stack.delivered if d.function == "RefundChargeFunction"]

    stack.invoke("RefundChargeFunction", delivered)
    again = DomainEvent.from_eventbridge(delivered).model_copy(update={"id": "another-delivery"})
    stack.invoke("RefundChargeFunction", {**delivered, "detail": again.model_dump()})

    assert len(stripe_endpoint.refunds) == 1


def test_a_refund_stripe_refuses_for_good_is_recorded_failed_and_not_retried(
    stack: LocalStack, stripe_endpoint: StripeEndpoint, published: Published
) -> None:
    write = request_refund(
        charge_id="ch_unknown", amount=None, currency="EUR", idempotency_key="k-1", subject={"type": "x"}, actor=None
    )
    Table(stack.table_name).transact([write])

    stack.drain()

    record = refund_record(stack, "k-1")
    assert record is not None
    assert (record["status"], record["error_code"]) == ("failed", "resource_missing")
    assert len(published.events(EventType.REFUND_FAILED)) == 1
    assert stack.failures == []
