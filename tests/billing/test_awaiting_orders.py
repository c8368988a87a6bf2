"""Orders left `awaiting_payment` (a PER_ORDER plan, no payment method then) are charged when
their user adds a payment method: POST /payment_methods writes the method and its "payment
method created" event in one transaction; the template's rule brings the event to
ChargeAwaitingOrdersFunction. Charges are counted at the Stripe test endpoint."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from planhub.storage import keys
from planhub_local.stripe_endpoint import StripeEndpoint
from tests.billing.conftest import COMPANY, Client, World, payment_method, stored_item
from tests.billing.test_orders import first_due, order_plan, orders_of
from tests.conftest import Published
from tests.subscriptions.test_orders import tick

CONSUMER = "ChargeAwaitingOrdersFunction"


def awaiting_orders(world: World, user: str, occurrences: int = 1) -> dict[str, Any]:
    """A PER_ORDER plan of `user`, who has no payment method: its first occurrences wait."""
    plan = order_plan(world, user, "PER_ORDER")
    tick(world, first_due(plan) + timedelta(days=occurrences - 1))
    world.stack.drain()
    assert [o["status"] for o in orders_of(world, user, plan)] == ["awaiting_payment"] * occurrences
    return plan


def redeliver(world: World, published: Published) -> None:
    """EventBridge delivers every "payment method created" event again (at least once)."""
    for detail in published.events("payment method created"):
        envelope = {
            "version": "0",
            "id": f"again-{detail['id']}",
            "detail-type": detail["type"],
            "source": "planhub",
            "account": "123456789012",
            "time": "2026-11-30T15:20:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
        world.stack.invoke(CONSUMER, envelope)
    world.stack.drain()


def test_adding_a_card_charges_the_orders_awaiting_payment_once_each(
    fresh: World, stripe_endpoint: StripeEndpoint
) -> None:
    plan = awaiting_orders(fresh, "dave", occurrences=2)
    published = Published(fresh.stack)

    payment_method(fresh.stack, "erin")  # another user's card pays nothing of dave's
    fresh.stack.drain()
    assert stripe_endpoint.charges == []

    payment_method(fresh.stack, "dave")
    fresh.stack.drain()

    found = orders_of(fresh, "dave", plan)
    assert [(o["status"], o["amount"]) for o in found] == [("paid", 300.0), ("paid", 300.0)]
    assert len(stripe_endpoint.charges) == 2 and len(stripe_endpoint.succeeded_charges()) == 2
    for order in found:
        payment = stored_item(fresh.stack, keys.payment(order["payment"]["$oid"]))
        assert payment is not None
        assert payment["idempotency_key"] == f"order-{order['_id']['$oid']}"  # the order's key, unchanged
        assert payment["current_state"] == "succeeded"
    receipts = [e["data"]["invoice_id"] for e in published.events("invoice paid")]
    assert sorted(receipts) == sorted(o["_id"]["$oid"] for o in found)

    redeliver(fresh, published)

    assert len(stripe_endpoint.charges) == 2  # no second charge
    assert [o["status"] for o in orders_of(fresh, "dave", plan)] == ["paid", "paid"]
    assert len(published.events("invoice paid")) == 2


def test_deliveries_at_the_same_time_charge_each_order_once(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    plan = awaiting_orders(fresh, "dave", occurrences=2)
    payment_method(fresh.stack, "dave")  # its event not yet delivered (no drain)
    event = {
        "version": "0",
        "id": "at-once",
        "detail-type": "payment method created",
        "source": "planhub",
        "account": "123456789012",
        "time": "2026-11-30T15:20:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "id": "at-once",
            "type": "payment method created",
            "occurred_at": "2026-11-30T15:20:00.000Z",
            "actor": "dave",
            "data": {"id": "m", "user_id": "dave", "company_id": COMPANY, "card": {}},
        },
    }

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: fresh.stack.invoke(CONSUMER, event), range(3)))
    fresh.stack.drain()  # and the real event comes too

    assert [o["status"] for o in orders_of(fresh, "dave", plan)] == ["paid", "paid"]
    assert len(stripe_endpoint.charges) == 2


def test_a_card_stripe_refuses_adds_nothing_and_the_order_keeps_waiting(
    fresh: World, stripe_endpoint: StripeEndpoint
) -> None:
    plan = awaiting_orders(fresh, "dave")
    client = Client(fresh.api, "dave")

    answer = client.post("/payment_methods", {"method": "stripe", "token": "tok_chargeDeclined"})
    fresh.stack.drain()

    assert answer.status == 402
    assert stripe_endpoint.charges == []
    assert [o["status"] for o in orders_of(fresh, "dave", plan)] == ["awaiting_payment"]


def test_a_card_whose_charge_is_declined_fails_the_order_once(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    """The order's charge has one idempotency key (`order-<id>`), so it is tried once: declined,
    the order is `payment_failed` (as a PER_ORDER order made with that card), with its email."""
    plan = awaiting_orders(fresh, "dave")
    published = Published(fresh.stack)

    payment_method(fresh.stack, "dave", token="tok_chargeCustomerFail")
    fresh.stack.drain()

    assert [c["status"] for c in stripe_endpoint.charges] == ["failed"]
    assert [o["status"] for o in orders_of(fresh, "dave", plan)] == ["payment_failed"]
    failed = published.events("invoice payment failed")
    assert [e["data"]["status_code"] for e in failed] == ["card_declined"]

    redeliver(fresh, published)

    assert len(stripe_endpoint.charges) == 1
    assert [o["status"] for o in orders_of(fresh, "dave", plan)] == ["payment_failed"]
