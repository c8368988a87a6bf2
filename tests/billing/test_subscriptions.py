"""Subscriptions through the gateway: create, start, update, stop, read, list, and who may."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.billing.conftest import Client, World, at, ms, payment_method
from tests.subscriptions.conftest import OTHER_API_KEY, OTHER_COMPANY


@pytest.fixture
def alice(world: World) -> Client:
    return Client(world.api, "alice")


@pytest.fixture
def bob(world: World) -> Client:
    return Client(world.api, "bob")


@pytest.fixture
def admin(world: World) -> Client:
    return Client(world.api, "admin-1", admin=True)


def future(days: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def test_a_subscription_is_created_on_an_active_basic_plan(alice: Client) -> None:
    plan = alice.plan(billing_interval="MONTH")

    created = alice.subscribe(plan, note="team licence")

    assert created["status"] == "CREATED"
    assert created["plan"] == {"$oid": plan}
    assert created["user"] == {"$oid": "alice"}
    assert created["method"] == "license"
    assert created["amount"] == 300.0  # 100 + 2 x 200 x 0.5, the seed's plan
    assert created["currency"] == "NOK"
    assert created["deleted"] is False
    assert "current_billing_date_period_start" not in created


def test_a_plan_of_another_company_or_a_deleted_one_is_refused(alice: Client, admin: Client) -> None:
    plan = alice.plan()
    assert admin.api.delete(f"/plans/{plan}", token=admin.token, headers={"X-Share-Api-Key": "x"}).status == 403
    other = Client(alice.api, "zed", admin=True, key=OTHER_API_KEY, company=OTHER_COMPANY)

    answer = other.post("/subscriptions", {"plan": plan})

    assert answer.status == 400
    assert "no basic plan" in answer.json()["message"]


def test_starting_makes_it_active_with_its_current_period(world: World, alice: Client) -> None:
    plan = alice.plan(billing_interval="WEEK")
    subscription = alice.subscribe(plan)["_id"]["$oid"]
    pm_alice_1 = payment_method(world.stack, "alice")

    started = alice.ok(alice.start(subscription, payment_method=pm_alice_1, interval_total=3))

    assert started["status"] == "ACTIVE"
    assert started["payment_method"] == {"$oid": pm_alice_1}
    start = at(started["current_billing_date_period_start"]["$date"])
    end = at(started["current_billing_date_period_end"]["$date"])
    assert end - start == timedelta(days=7)
    assert started["interval_total"] == 3


def test_a_start_ahead_is_future_and_month_end_periods_end_with_the_month(world: World, alice: Client) -> None:
    plan = alice.plan(billing_interval="MONTH_END")
    subscription = alice.subscribe(plan)["_id"]["$oid"]
    pm_alice_2 = payment_method(world.stack, "alice")
    starting = datetime(2031, 2, 10, 12, tzinfo=UTC)

    started = alice.ok(alice.start(subscription, payment_method=pm_alice_2, starting_date={"$date": ms(starting)}))

    assert started["status"] == "FUTURE"
    assert at(started["current_billing_date_period_start"]["$date"]) == starting
    assert at(started["current_billing_date_period_end"]["$date"]) == datetime(2031, 3, 1, tzinfo=UTC)


def test_infinite_beats_ending_date_beats_interval_total(world: World, alice: Client) -> None:
    plan = alice.plan()
    pm_alice_3 = payment_method(world.stack, "alice")
    ending = {"$date": ms(future(400))}

    both = alice.subscribe(plan, ending_date=ending, interval_total=2)
    assert both["ending_date"] == ending and "interval_total" not in both

    all_three = alice.ok(
        alice.start(both["_id"]["$oid"], payment_method=pm_alice_3, infinite=True, ending_date=ending, interval_total=2)
    )
    assert all_three["infinite"] is True
    assert "ending_date" not in all_three and "interval_total" not in all_three


def test_a_subscription_starts_once(world: World, alice: Client) -> None:
    plan = alice.plan()
    pm_alice_4 = payment_method(world.stack, "alice")
    subscription = alice.subscribe(plan, starting_date={"$date": ms(future(30))})["_id"]["$oid"]
    assert alice.start(subscription, payment_method=pm_alice_4).status == 200

    again = alice.start(subscription, payment_method=pm_alice_4)

    assert again.status == 409


def test_only_the_subscriber_s_own_payment_method_pays(world: World, alice: Client) -> None:
    plan = alice.plan()
    pm_bob_1 = payment_method(world.stack, "bob")
    subscription = alice.subscribe(plan)["_id"]["$oid"]

    answer = alice.start(subscription, payment_method=pm_bob_1)

    assert answer.status == 400
    assert "payment_method" in answer.json()["message"]


def test_the_payment_method_records_the_subscriptions_it_pays(world: World, alice: Client) -> None:
    from planhub.storage import keys
    from tests.billing.conftest import stored_item

    plan = alice.plan()
    pm_alice_5 = payment_method(world.stack, "alice")
    subscription = alice.subscribe(plan, starting_date={"$date": ms(future(30))})["_id"]["$oid"]
    alice.ok(alice.start(subscription, payment_method=pm_alice_5))

    stored = stored_item(world.stack, dict(keys.payment_method(pm_alice_5)))
    assert stored is not None and subscription in stored["in_use_by"]

    alice.ok(alice.post(f"/subscriptions/{subscription}/stop", {}))  # FUTURE: cancelled at once
    stored = stored_item(world.stack, dict(keys.payment_method(pm_alice_5)))
    assert stored is not None and subscription not in stored.get("in_use_by", [])


def test_update_changes_the_note_and_one_end_rule(world: World, alice: Client) -> None:
    plan = alice.plan()
    pm_alice_6 = payment_method(world.stack, "alice")
    subscription = alice.subscribe(plan, starting_date={"$date": ms(future(30))}, infinite=True)["_id"]["$oid"]
    alice.ok(alice.start(subscription, payment_method=pm_alice_6))

    updated = alice.ok(alice.post(f"/subscriptions/{subscription}/update", {"note": "renewed", "interval_total": 6}))

    assert updated["note"] == "renewed"
    assert updated["interval_total"] == 6 and updated["infinite"] is False


def test_stopping_with_prorate_answers_minus_the_unused_share(world: World, alice: Client) -> None:
    plan = alice.plan(billing_interval="MONTH", prorate=True, total_amount=300, items=[])
    pm_alice_7 = payment_method(world.stack, "alice")
    subscription = alice.subscribe(plan)["_id"]["$oid"]
    started = alice.ok(alice.start(subscription, payment_method=pm_alice_7))
    start = at(started["current_billing_date_period_start"]["$date"])
    end = at(started["current_billing_date_period_end"]["$date"])
    stop = start + (end - start) / 2
    stop = stop.replace(microsecond=stop.microsecond // 1000 * 1000)
    # The first period must have been invoiced for a refund to be due: the start bills it,
    # or (before payments are wired) the stored subscription says so.
    from planhub.billing.models import Subscription
    from planhub.storage import Table, keys

    table = Table(world.stack.table_name)
    item = table.get(keys.subscription(subscription), consistent=True)
    assert item is not None
    if Subscription.from_item(item).next_period == 0:
        table.update(keys.subscription(subscription), _set_next_period())

    stopped = alice.ok(alice.post(f"/subscriptions/{subscription}/stop", {"ending_date": {"$date": ms(stop)}}))

    assert stopped["status"] == "NON_RENEWING"
    assert stopped["ending_date"] == {"$date": ms(stop)}
    whole = (end - start) // timedelta(milliseconds=1)
    unused = (end - stop) // timedelta(milliseconds=1)
    assert stopped["prorate_amount"] == -((2 * 30000 * unused + whole) // (2 * whole)) / 100


def _set_next_period() -> object:
    from planhub.storage import Expression

    return Expression("SET next_period = :one", values={":one": 1})


def test_a_stop_beyond_the_current_period_is_refused(world: World, alice: Client) -> None:
    plan = alice.plan(billing_interval="WEEK")
    pm_alice_8 = payment_method(world.stack, "alice")
    subscription = alice.subscribe(plan)["_id"]["$oid"]
    alice.ok(alice.start(subscription, payment_method=pm_alice_8))

    answer = alice.post(f"/subscriptions/{subscription}/stop", {"ending_date": {"$date": ms(future(20))}})

    assert answer.status == 400
    assert "current period" in answer.json()["message"]


def test_only_the_subscriber_and_company_admins_see_or_change_it(
    world: World, alice: Client, bob: Client, admin: Client
) -> None:
    plan = alice.plan()
    subscription = alice.subscribe(plan)["_id"]["$oid"]
    stranger = Client(world.api, "zed", admin=True, key=OTHER_API_KEY, company=OTHER_COMPANY)

    assert bob.get(f"/subscriptions/{subscription}").status == 404
    assert bob.post(f"/subscriptions/{subscription}/stop", {}).status == 404
    assert bob.post(f"/subscriptions/{subscription}/update", {"note": "mine"}).status == 404
    assert stranger.get(f"/subscriptions/{subscription}").status == 404
    assert bob.get("/subscriptions/no-such-subscription").status == 404
    assert admin.get(f"/subscriptions/{subscription}").status == 200
    assert alice.get(f"/subscriptions/{subscription}").status == 200
    assert Client(world.api, "alice", key="wrong").get(f"/subscriptions/{subscription}").status == 403


def test_an_admin_sees_the_subscription_but_not_the_subscriber_s_payment_method_id(
    world: World, alice: Client, admin: Client
) -> None:
    plan = alice.plan()
    method = payment_method(world.stack, "alice")
    subscription = alice.subscribe(plan, starting_date={"$date": ms(future(30))})["_id"]["$oid"]
    alice.ok(alice.start(subscription, payment_method=method))

    seen_by_admin = admin.ok(admin.get(f"/subscriptions/{subscription}"))

    assert seen_by_admin["status"] == "FUTURE"
    assert "payment_method" not in seen_by_admin
    assert alice.ok(alice.get(f"/subscriptions/{subscription}"))["payment_method"] == {"$oid": method}
