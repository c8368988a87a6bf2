"""Orders: each `order due` occurrence becomes one order; PER_ORDER charged at once, periodic
orders invoiced together when their period ends. Charges are counted at the Stripe endpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from planhub_local.stripe_endpoint import StripeEndpoint
from tests.billing.conftest import Client, World, billing_run, payment_method
from tests.subscriptions.conftest import recurring_plan
from tests.subscriptions.test_orders import tick


def order_plan(world: World, user: str, billing_interval: str) -> dict[str, Any]:
    """A daily recurring order plan of `user` (300 NOK an order), from the seed's example."""
    client = Client(world.api, user)
    body = recurring_plan(
        interval_unit="DAY", billing_interval=billing_interval, recurring_days=[{"hour": 10, "minute": 0}]
    )
    return client.ok(client.post("/plans", body))


def first_due(plan: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(plan["recurring_days"][0]["starting_day"]["$date"] / 1000, UTC)


def orders_of(world: World, user: str, plan: dict[str, Any]) -> list[dict[str, Any]]:
    return Client(world.api, user).ok_list(f"/orders?plan={plan['_id']['$oid']}&sort=created")


def test_a_per_order_order_is_charged_at_once_and_made_once(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    payment_method(fresh.stack, "carol")
    plan = order_plan(fresh, "carol", "PER_ORDER")

    tick(fresh, first_due(plan) + timedelta(days=1))  # two occurrences
    fresh.stack.drain()
    due_events = [e for e in fresh.bus.events("order due") if e["detail"]["data"]["plan_id"] == plan["_id"]["$oid"]]
    for event in due_events:  # EventBridge delivers again
        fresh.stack.invoke("CreateOrderFunction", json.loads(json.dumps(event)))

    found = orders_of(fresh, "carol", plan)
    assert [(o["status"], o["amount"]) for o in found] == [("paid", 300.0), ("paid", 300.0)]
    assert len(stripe_endpoint.succeeded_charges()) == 2
    payment = Client(fresh.api, "carol").ok(Client(fresh.api, "carol").get(f"/payments/{found[0]['payment']['$oid']}"))
    assert payment["subject"] == found[0]["_id"] and payment["current_state"] == "succeeded"


def test_without_a_payment_method_the_order_awaits_payment_and_says_so_once(
    fresh: World, stripe_endpoint: StripeEndpoint
) -> None:
    plan = order_plan(fresh, "dave", "PER_ORDER")

    tick(fresh, first_due(plan))
    fresh.stack.drain()
    fresh.stack.drain()

    assert [o["status"] for o in orders_of(fresh, "dave", plan)] == ["awaiting_payment"]
    emails = [e for e in fresh.stack.sent_emails() if "dave@example.com" in e["to"]]
    assert [e["subject"] for e in emails] == [
        f"Your order {orders_of(fresh, 'dave', plan)[0]['_id']['$oid']} awaits a payment method"
    ]
    assert stripe_endpoint.charges == []


def test_a_period_s_orders_are_invoiced_together_when_it_ends(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    payment_method(fresh.stack, "erin")
    plan = order_plan(fresh, "erin", "MONTH")
    first = first_due(plan)
    tick(fresh, first + timedelta(days=1))
    fresh.stack.drain()
    assert [o["status"] for o in orders_of(fresh, "erin", plan)] == ["created", "created"]
    month_end = datetime(first.year + (first.month == 12), first.month % 12 + 1, 1, tzinfo=UTC)
    dues = [datetime.fromtimestamp(o["due"]["$date"] / 1000, UTC) for o in orders_of(fresh, "erin", plan)]
    in_first_month = [d for d in dues if d < month_end]

    billing_run(fresh, month_end + timedelta(minutes=1))
    billing_run(fresh, month_end + timedelta(minutes=2))  # and again: nothing twice

    erin = Client(fresh.api, "erin")
    invoices = erin.ok_list("/invoices")
    assert len(invoices) == 1  # the first month's; the next has not ended
    first_invoice = next(i for i in invoices if len(i["orders"]) == len(in_first_month))
    assert first_invoice["amount"] == 300.0 * len(in_first_month)
    assert first_invoice["status"] == "paid"
    paid = [o for o in orders_of(fresh, "erin", plan) if o["status"] == "paid"]
    assert len(paid) == len(in_first_month)
    assert [c["amount"] for c in stripe_endpoint.succeeded_charges()][:1] == [30000 * len(in_first_month)]
