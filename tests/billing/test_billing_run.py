"""The billing run: one invoice per begun period, charged once, under races, replays and outages."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from planhub.billing.gateway import Charged, PaymentDeclined, PaymentUnavailable
from planhub.billing.run import Biller
from planhub.storage import Table
from tests.billing.conftest import Client, World, ms, payment_method

START = datetime(2031, 1, 31, 9, 0, tzinfo=UTC)


class FakeStripe:
    """Charges by idempotency key, as Stripe keeps them: a key seen again answers the same charge."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.charges: dict[str, Charged] = {}
        self.requests = 0
        self.unavailable_for = 0

    def charge(
        self, *, customer_id: str, amount: int, currency: str, idempotency_key: str, description: str
    ) -> Charged:
        with self.lock:
            self.requests += 1
            if self.unavailable_for > 0:
                self.unavailable_for -= 1
                raise PaymentUnavailable("rate_limit")
            if customer_id.startswith("cus_fail"):
                raise PaymentDeclined("card_declined", "Your card was declined.")
            if idempotency_key not in self.charges:
                self.charges[idempotency_key] = Charged(f"ch_{len(self.charges) + 1}", amount, currency)
            return self.charges[idempotency_key]


@pytest.fixture
def stripe() -> FakeStripe:
    return FakeStripe()


def biller(world: World, stripe: FakeStripe, concurrency: int = 4) -> Biller:
    return Biller(Table(world.stack.table_name), lambda: stripe, concurrency=concurrency)


def subscribed(world: World, user: str, customer: str = "cus_ok", **fields: Any) -> str:
    client = Client(world.api, user)
    plan = client.plan(billing_interval="MONTH", total_amount=300, items=[], **fields.pop("plan", {}))
    method = payment_method(world.stack, user, f"pm-{user}", customer=customer)
    subscription = client.subscribe(plan, starting_date={"$date": ms(START)}, **fields)["_id"]["$oid"]
    client.ok(client.start(subscription, payment_method=method))
    return str(subscription)


def invoices(world: World, user: str, subscription: str) -> list[dict[str, Any]]:
    client = Client(world.api, user)
    return list(client.ok_list(f"/invoices?subscription={subscription}&sort=created"))


def test_each_begun_period_is_invoiced_and_charged_once(fresh: World, stripe: FakeStripe) -> None:
    subscription = subscribed(fresh, "alice")
    run = biller(fresh, stripe)

    run.run(START - timedelta(minutes=1))
    assert stripe.charges == {}

    run.run(START + timedelta(minutes=1))
    run.run(START + timedelta(minutes=2))  # a second run finds nothing more

    found = invoices(fresh, "alice", subscription)
    assert [(i["amount"], i["status"]) for i in found] == [(300.0, "paid")]
    assert len(stripe.charges) == 1 and stripe.requests == 1
    alice = Client(fresh.api, "alice")
    assert alice.ok(alice.get(f"/subscriptions/{subscription}"))["status"] == "ACTIVE"
    payment = alice.ok(alice.get(f"/payments/{found[0]['payments'][0]['$oid']}"))
    assert payment["current_state"] == "succeeded"
    assert payment["subject"] == found[0]["_id"]


def test_after_an_outage_missed_periods_are_billed_oldest_first_once_each(fresh: World, stripe: FakeStripe) -> None:
    subscription = subscribed(fresh, "alice")

    biller(fresh, stripe).run(datetime(2031, 5, 15, tzinfo=UTC))  # Jan 31, Feb 28, Mar 31, Apr 30

    found = invoices(fresh, "alice", subscription)
    starts = [datetime.fromtimestamp(i["period_start"]["$date"] / 1000, UTC).date().isoformat() for i in found]
    assert starts == ["2031-01-31", "2031-02-28", "2031-03-31", "2031-04-30"]
    assert len(stripe.charges) == 4
    keys_in_order = list(stripe.charges)
    assert keys_in_order == [f"invoice-{i['_id']['$oid']}" for i in found]


def test_two_concurrent_runs_and_replays_charge_each_period_once(fresh: World, stripe: FakeStripe) -> None:
    subscriptions = [subscribed(fresh, f"user{i}") for i in range(6)]
    now = START + timedelta(days=40)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: biller(fresh, stripe).run(now), range(3)))
    biller(fresh, stripe).run(now)  # EventBridge redelivers the same minute

    for index, subscription in enumerate(subscriptions):
        assert [i["status"] for i in invoices(fresh, f"user{index}", subscription)] == ["paid", "paid"]
    assert len(stripe.charges) == 12


def test_a_provider_outage_leaves_the_payment_pending_and_a_later_run_charges_it_once(
    fresh: World, stripe: FakeStripe
) -> None:
    subscription = subscribed(fresh, "alice")
    stripe.unavailable_for = 1

    biller(fresh, stripe).run(START + timedelta(minutes=1))
    assert [i["status"] for i in invoices(fresh, "alice", subscription)] == ["open"]

    biller(fresh, stripe).run(START + timedelta(minutes=2))  # the lease is not over: left alone
    assert stripe.requests == 1
    biller(fresh, stripe).run(START + timedelta(minutes=5))

    assert [i["status"] for i in invoices(fresh, "alice", subscription)] == ["paid"]
    assert len(stripe.charges) == 1


def test_cancel_on_the_first_failure(fresh: World, stripe: FakeStripe) -> None:
    subscription = subscribed(fresh, "alice", "cus_fail", plan={"initial_fail_amount_action": "CANCEL"})

    biller(fresh, stripe).run(START + timedelta(days=70))

    alice = Client(fresh.api, "alice")
    state = alice.ok(alice.get(f"/subscriptions/{subscription}"))
    assert state["status"] == "CANCELLED"
    assert state["failed_attempts"] == 1
    found = invoices(fresh, "alice", subscription)
    assert [i["status"] for i in found] == ["failed"]
    payment = alice.ok(alice.get(f"/payments/{found[0]['payments'][0]['$oid']}"))
    assert (payment["current_state"], payment["status_code"]) == ("failed", "card_declined")
    assert payment["error_message"] == "Your card was declined."


def test_continue_counts_failures_until_max_fail_attempts(fresh: World, stripe: FakeStripe) -> None:
    subscription = subscribed(
        fresh, "alice", "cus_fail", plan={"initial_fail_amount_action": "CONTINUE", "max_fail_attempts": 2}
    )
    alice = Client(fresh.api, "alice")

    biller(fresh, stripe).run(START + timedelta(days=40))  # two periods, two failures
    state = alice.ok(alice.get(f"/subscriptions/{subscription}"))
    assert (state["status"], state["failed_attempts"]) == ("ACTIVE", 2)

    biller(fresh, stripe).run(START + timedelta(days=100))  # the third failure cancels it

    state = alice.ok(alice.get(f"/subscriptions/{subscription}"))
    assert (state["status"], state["failed_attempts"]) == ("CANCELLED", 3)
    assert len(invoices(fresh, "alice", subscription)) == 3


def test_interval_total_ends_it_after_its_periods(fresh: World, stripe: FakeStripe) -> None:
    subscription = subscribed(fresh, "alice", interval_total=2)

    biller(fresh, stripe).run(START + timedelta(days=200))

    alice = Client(fresh.api, "alice")
    assert alice.ok(alice.get(f"/subscriptions/{subscription}"))["status"] == "CANCELLED"
    assert len(invoices(fresh, "alice", subscription)) == 2
    assert len(stripe.charges) == 2


def test_ending_date_ends_it_at_that_date(fresh: World, stripe: FakeStripe) -> None:
    subscription = subscribed(fresh, "alice", ending_date={"$date": ms(START + timedelta(days=45))})

    biller(fresh, stripe).run(START + timedelta(days=200))

    alice = Client(fresh.api, "alice")
    state = alice.ok(alice.get(f"/subscriptions/{subscription}"))
    assert state["status"] == "CANCELLED"
    assert state["cancelled"] == {"$date": ms(START + timedelta(days=45))}
    assert len(invoices(fresh, "alice", subscription)) == 2  # Jan 31 and Feb 28 began before the end


def test_invoices_and_payments_are_the_payer_s_and_admins_only(fresh: World, stripe: FakeStripe) -> None:
    subscription = subscribed(fresh, "alice")
    biller(fresh, stripe).run(START + timedelta(minutes=1))
    invoice = invoices(fresh, "alice", subscription)[0]
    payment_id = invoice["payments"][0]["$oid"]
    bob = Client(fresh.api, "bob")
    admin = Client(fresh.api, "admin-1", admin=True)

    assert bob.get(f"/invoices/{invoice['_id']['$oid']}").status == 404
    assert bob.get(f"/payments/{payment_id}").status == 404
    assert bob.get(f"/invoices?subscription={subscription}").status == 404
    assert bob.get("/payments?user=alice").status == 404
    assert admin.get(f"/invoices/{invoice['_id']['$oid']}").status == 200
    assert [p["_id"]["$oid"] for p in admin.ok_list("/payments?user=alice")] == [payment_id]
    assert [i["_id"]["$oid"] for i in Client(fresh.api, "alice").ok_list("/invoices?status=paid")] == [
        invoice["_id"]["$oid"]
    ]
    assert Client(fresh.api, "alice").ok_list("/invoices?status=failed") == []


def test_emails_go_out_once_each_receipt_failure_with_attempts_left_and_cancellation(
    fresh: World, stripe: FakeStripe
) -> None:
    subscribed(fresh, "alice")
    subscribed(fresh, "bob", "cus_fail", plan={"initial_fail_amount_action": "CONTINUE", "max_fail_attempts": 1})
    biller(fresh, stripe).run(START + timedelta(days=40))  # two periods each
    fresh.stack.drain()
    fresh.stack.drain()  # a second drain delivers nothing twice

    def subjects(to: str) -> list[str]:
        return sorted(e["subject"] for e in fresh.stack.sent_emails() if to in e["to"])

    assert subjects("alice@example.com") == ["Receipt: 300.0 NOK paid", "Receipt: 300.0 NOK paid"]
    assert subjects("bob@example.com") == [
        "Payment failed: 300.0 NOK",
        "Payment failed: 300.0 NOK",
        "Your subscription is cancelled",
    ]
    bodies = [str(e["body"]) for e in fresh.stack.sent_emails() if "bob@example.com" in e["to"]]
    assert any("may still fail before the subscription is cancelled: <strong>0</strong>" in b for b in bodies)
    assert any("The subscription is cancelled." in b for b in bodies)
