"""The billing run: one invoice per begun period, charged once, under races, replays and outages."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from planhub_local.stripe_endpoint import StripeEndpoint
from tests.billing.conftest import Client, World, billing_run, ms, payment_method

START = datetime(2031, 1, 31, 9, 0, tzinfo=UTC)


def subscribed(world: World, user: str, token: str = "tok_visa", **fields: Any) -> str:  # noqa: S107
    """`user` subscribed to a 300 NOK monthly plan from START, paying with a card of `token`."""
    client = Client(world.api, user)
    plan = client.plan(billing_interval="MONTH", total_amount=300, items=[], **fields.pop("plan", {}))
    method = payment_method(world.stack, user, token=token)
    subscription = client.subscribe(plan, starting_date={"$date": ms(START)}, **fields)["_id"]["$oid"]
    client.ok(client.start(subscription, payment_method=method))
    return str(subscription)


def charged(stripe: StripeEndpoint, subscription: str) -> list[str]:
    """The descriptions of the subscription's succeeded charges AT THE STRIPE ENDPOINT."""
    return [c["description"] for c in stripe.succeeded_charges() if subscription in (c["description"] or "")]


def invoices(world: World, user: str, subscription: str) -> list[dict[str, Any]]:
    client = Client(world.api, user)
    return list(client.ok_list(f"/invoices?subscription={subscription}&sort=created"))


def test_each_begun_period_is_invoiced_and_charged_once(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    subscription = subscribed(fresh, "alice")
    billing_run(fresh, START - timedelta(minutes=1))
    assert stripe_endpoint.charges == []

    billing_run(fresh, START + timedelta(minutes=1))
    billing_run(fresh, START + timedelta(minutes=2))  # a second run finds nothing more

    found = invoices(fresh, "alice", subscription)
    assert [(i["amount"], i["status"]) for i in found] == [(300.0, "paid")]
    assert charged(stripe_endpoint, subscription) == [f"Subscription {subscription}, period 1"]
    assert len(stripe_endpoint.charges) == 1
    alice = Client(fresh.api, "alice")
    assert alice.ok(alice.get(f"/subscriptions/{subscription}"))["status"] == "ACTIVE"
    payment = alice.ok(alice.get(f"/payments/{found[0]['payments'][0]['$oid']}"))
    assert payment["current_state"] == "succeeded"
    assert payment["subject"] == found[0]["_id"]


def test_after_an_outage_missed_periods_are_billed_oldest_first_once_each(
    fresh: World, stripe_endpoint: StripeEndpoint
) -> None:
    subscription = subscribed(fresh, "alice")

    billing_run(fresh, datetime(2031, 5, 15, tzinfo=UTC))  # Jan 31, Feb 28, Mar 31, Apr 30

    found = invoices(fresh, "alice", subscription)
    starts = [datetime.fromtimestamp(i["period_start"]["$date"] / 1000, UTC).date().isoformat() for i in found]
    assert starts == ["2031-01-31", "2031-02-28", "2031-03-31", "2031-04-30"]
    assert charged(stripe_endpoint, subscription) == [f"Subscription {subscription}, period {n}" for n in (1, 2, 3, 4)]


def test_two_concurrent_runs_and_replays_charge_each_period_once(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    subscriptions = [subscribed(fresh, f"user{i}") for i in range(6)]
    now = START + timedelta(days=40)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: billing_run(fresh, now), range(3)))  # concurrent runs
    billing_run(fresh, now)  # EventBridge redelivers the same minute (or Lambda retries it)

    for index, subscription in enumerate(subscriptions):
        assert [i["status"] for i in invoices(fresh, f"user{index}", subscription)] == ["paid", "paid"]
        assert sorted(charged(stripe_endpoint, subscription)) == [
            f"Subscription {subscription}, period 1",
            f"Subscription {subscription}, period 2",
        ]
    assert len(stripe_endpoint.charges) == 12


def test_a_run_through_429s_and_lock_timeouts_charges_each_period_once(
    fresh: World, stripe_endpoint: StripeEndpoint
) -> None:
    subscriptions = [subscribed(fresh, f"user{i}") for i in range(4)]
    stripe_endpoint.rate_limit(next=3)  # the gateway retries each with the same key
    billing_run(fresh, START + timedelta(minutes=1))
    stripe_endpoint.rate_limit(next=3, code="lock_timeout")
    billing_run(fresh, START + timedelta(days=29))

    assert stripe_endpoint.rate_limited == 6
    for subscription in subscriptions:
        assert len(charged(stripe_endpoint, subscription)) == 2
    assert len(stripe_endpoint.charges) == 8


def test_a_provider_outage_leaves_the_payment_pending_and_a_later_run_charges_it_once(
    fresh: World, stripe_endpoint: StripeEndpoint
) -> None:
    subscription = subscribed(fresh, "alice")
    stripe_endpoint.rate_limit(seconds=3600)  # longer than the gateway's retries

    billing_run(fresh, START + timedelta(minutes=1))
    assert [i["status"] for i in invoices(fresh, "alice", subscription)] == ["open"]
    stripe_endpoint.rate_limit(next=0)
    requests = stripe_endpoint.requests

    billing_run(fresh, START + timedelta(minutes=2))  # the lease is not over: left alone
    assert stripe_endpoint.requests == requests
    billing_run(fresh, START + timedelta(minutes=5))

    assert [i["status"] for i in invoices(fresh, "alice", subscription)] == ["paid"]
    assert len(charged(stripe_endpoint, subscription)) == 1


def test_cancel_on_the_first_failure(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    subscription = subscribed(fresh, "alice", "tok_chargeCustomerFail", plan={"initial_fail_amount_action": "CANCEL"})

    billing_run(fresh, START + timedelta(days=70))

    alice = Client(fresh.api, "alice")
    state = alice.ok(alice.get(f"/subscriptions/{subscription}"))
    assert state["status"] == "CANCELLED"
    assert state["failed_attempts"] == 1
    found = invoices(fresh, "alice", subscription)
    assert [i["status"] for i in found] == ["failed"]
    payment = alice.ok(alice.get(f"/payments/{found[0]['payments'][0]['$oid']}"))
    assert (payment["current_state"], payment["status_code"]) == ("failed", "card_declined")
    assert payment["error_message"] == "Your card was declined."


def test_continue_counts_failures_until_max_fail_attempts(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    subscription = subscribed(
        fresh,
        "alice",
        "tok_chargeCustomerFail",
        plan={"initial_fail_amount_action": "CONTINUE", "max_fail_attempts": 2},
    )
    alice = Client(fresh.api, "alice")

    billing_run(fresh, START + timedelta(days=40))  # two periods, two failures
    state = alice.ok(alice.get(f"/subscriptions/{subscription}"))
    assert (state["status"], state["failed_attempts"]) == ("ACTIVE", 2)

    billing_run(fresh, START + timedelta(days=100))  # the third failure cancels it

    state = alice.ok(alice.get(f"/subscriptions/{subscription}"))
    assert (state["status"], state["failed_attempts"]) == ("CANCELLED", 3)
    assert len(invoices(fresh, "alice", subscription)) == 3


def test_interval_total_ends_it_after_its_periods(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    subscription = subscribed(fresh, "alice", interval_total=2)

    billing_run(fresh, START + timedelta(days=200))

    alice = Client(fresh.api, "alice")
    assert alice.ok(alice.get(f"/subscriptions/{subscription}"))["status"] == "CANCELLED"
    assert len(invoices(fresh, "alice", subscription)) == 2
    assert len(charged(stripe_endpoint, subscription)) == 2


def test_ending_date_ends_it_at_that_date(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    subscription = subscribed(fresh, "alice", ending_date={"$date": ms(START + timedelta(days=45))})

    billing_run(fresh, START + timedelta(days=200))

    alice = Client(fresh.api, "alice")
    state = alice.ok(alice.get(f"/subscriptions/{subscription}"))
    assert state["status"] == "CANCELLED"
    assert state["cancelled"] == {"$date": ms(START + timedelta(days=45))}
    assert len(invoices(fresh, "alice", subscription)) == 2  # Jan 31 and Feb 28 began before the end


def test_invoices_and_payments_are_the_payer_s_and_admins_only(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    subscription = subscribed(fresh, "alice")
    billing_run(fresh, START + timedelta(minutes=1))
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
    fresh: World, stripe_endpoint: StripeEndpoint
) -> None:
    subscribed(fresh, "alice")
    subscribed(
        fresh, "bob", "tok_chargeCustomerFail", plan={"initial_fail_amount_action": "CONTINUE", "max_fail_attempts": 1}
    )
    billing_run(fresh, START + timedelta(days=40))  # two periods each
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


def test_starting_now_bills_the_first_period_at_once(fresh: World, stripe_endpoint: StripeEndpoint) -> None:
    alice = Client(fresh.api, "alice")
    plan = alice.plan(billing_interval="MONTH", total_amount=300, items=[])
    method = payment_method(fresh.stack, "alice", token="tok_visa")

    started = alice.subscribe(plan, start_now=True, payment_method=method)

    assert started["status"] == "ACTIVE"
    subscription = started["_id"]["$oid"]
    assert [(i["status"], i["amount"]) for i in invoices(fresh, "alice", subscription)] == [("paid", 300.0)]
    assert charged(stripe_endpoint, subscription) == [f"Subscription {subscription}, period 1"]


def test_a_prorated_stop_refunds_the_unused_share_once_through_the_durable_path(
    fresh: World, stripe_endpoint: StripeEndpoint
) -> None:
    subscription = subscribed(fresh, "alice", plan={"prorate": True})
    billing_run(fresh, START + timedelta(minutes=1))  # period 1 (Jan 31 - Feb 28) paid
    alice = Client(fresh.api, "alice")
    stop = START + timedelta(days=14)
    stopped = alice.ok(alice.post(f"/subscriptions/{subscription}/stop", {"ending_date": {"$date": ms(stop)}}))
    whole = timedelta(days=28) // timedelta(milliseconds=1)
    unused = timedelta(days=14) // timedelta(milliseconds=1)
    refund = (2 * 30000 * unused + whole) // (2 * whole)
    assert stopped["status"] == "NON_RENEWING"
    assert stopped["prorate_amount"] == -refund / 100
    stripe_endpoint.fail_refunds(next=2)  # the first attempts fail: the consumer retries

    billing_run(fresh, datetime(2031, 3, 1, tzinfo=UTC))  # the period's end: cancelled, refund requested
    billing_run(fresh, datetime(2031, 3, 1, 0, 1, tzinfo=UTC))  # a second run requests nothing more
    fresh.stack.drain()

    assert alice.ok(alice.get(f"/subscriptions/{subscription}"))["status"] == "CANCELLED"
    assert [(r["charge"], r["amount"]) for r in stripe_endpoint.refunds] == [
        (stripe_endpoint.succeeded_charges()[0]["id"], refund)
    ]
    found = invoices(fresh, "alice", subscription)
    assert [(i["status"], i.get("refunded_amount")) for i in found] == [("refunded", refund / 100)]


def test_a_payment_method_paying_for_a_live_subscription_cannot_be_deleted_until_it_ends(fresh: World) -> None:
    alice = Client(fresh.api, "alice")
    headers = {"X-Share-Api-Key": alice.key or ""}
    plan = alice.plan(billing_interval="MONTH", total_amount=300, items=[])
    method = payment_method(fresh.stack, "alice")
    body = {"start_now": True, "payment_method": method, "interval_total": 1}
    subscription = alice.subscribe(plan, **body)["_id"]["$oid"]

    assert alice.api.delete(f"/payment_methods/{method}", token=alice.token, headers=headers).status == 409

    billing_run(fresh, datetime.now(UTC) + timedelta(days=40))  # its one period is over: it ends
    assert alice.ok(alice.get(f"/subscriptions/{subscription}"))["status"] == "CANCELLED"
    assert alice.api.delete(f"/payment_methods/{method}", token=alice.token, headers=headers).status == 204


def test_while_stripe_is_down_later_periods_wait_and_are_charged_in_order_after(
    fresh: World, stripe_endpoint: StripeEndpoint
) -> None:
    subscription = subscribed(fresh, "alice")
    stripe_endpoint.rate_limit(seconds=3600)
    down = START + timedelta(days=70)  # three periods have begun

    billing_run(fresh, down)
    assert [i["status"] for i in invoices(fresh, "alice", subscription)] == ["open"]  # the rest wait

    stripe_endpoint.rate_limit(next=0)
    billing_run(fresh, down + timedelta(minutes=5))  # the first payment's lease is over

    assert [i["status"] for i in invoices(fresh, "alice", subscription)] == ["paid", "paid", "paid"]
    assert charged(stripe_endpoint, subscription) == [f"Subscription {subscription}, period {n}" for n in (1, 2, 3)]
