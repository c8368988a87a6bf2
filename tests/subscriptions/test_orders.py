"""The every-minute schedule: "order due" events, exactly once, caught up after an outage.

Each test has a stack of its own (the tick publishes every plan's due orders, and these
tests travel in time). The tick takes "now" from the scheduled event's `time`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.subscriptions.conftest import (
    PRODUCT_1,
    PRODUCT_2,
    Plans,
    World,
    company_token,
    new_world,
    recurring_plan,
)

TICK = "PublishDueOrdersFunction"


@pytest.fixture
def fresh() -> Iterator[World]:
    with new_world() as made:
        yield made


@pytest.fixture
def owner(fresh: World) -> Plans:
    return Plans(fresh.api, company_token("member-1"))


def tick(world: World, at: datetime) -> int:
    """The schedule fires for the minute `at` (as EventBridge Scheduler would send it)."""
    event = {
        "version": "0",
        "id": f"tick-{at.isoformat()}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }
    return int(world.stack.invoke(TICK, event)["published"])


def instant(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def starting(plan: dict[str, Any], index: int = 0) -> datetime:
    return instant(plan["recurring_days"][index]["starting_day"]["$date"])


def orders_of(world: World, plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in world.bus.orders() if o["plan_id"] == plan["_id"]["$oid"]]


def daily_times_between(times: list[tuple[int, int]], start: datetime, end: datetime) -> list[datetime]:
    """Every UTC day's times in [start, end], counted day by day (the tests' own oracle)."""
    found = []
    day = start.date() - timedelta(days=1)
    while day <= end.date():
        for hour, minute in times:
            moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            if start <= moment <= end:
                found.append(moment)
        day += timedelta(days=1)
    return sorted(found)


def due_ats(orders: list[dict[str, Any]]) -> list[datetime]:
    return sorted(datetime.fromisoformat(o["due_at"]) for o in orders)


def daily_plan(owner: Plans, *times: tuple[int, int], **fields: Any) -> dict[str, Any]:
    days = [{"hour": hour, "minute": minute} for hour, minute in times]
    return owner.created(recurring_plan(interval_unit="DAY", recurring_days=days, **fields))


# --- due orders ----------------------------------------------------------------------------


def test_nothing_is_published_before_the_first_occurrence(fresh: World, owner: Plans) -> None:
    plan = daily_plan(owner, (6, 30))

    published = tick(fresh, starting(plan) - timedelta(minutes=1))

    assert published == 0
    assert orders_of(fresh, plan) == []


def test_an_occurrence_that_has_come_is_published_with_the_plan_user_items_and_amount(
    fresh: World, owner: Plans
) -> None:
    # Given a weekly order plan of 300.00 NOK less 10%
    plan = owner.created(recurring_plan(discount=0.1))
    first = min(starting(plan, 0), starting(plan, 1))

    # When the schedule fires at its first occurrence
    tick(fresh, first)

    # Then one "order due" event carries what the order needs
    (order,) = orders_of(fresh, plan)
    assert order["user_id"] == "member-1"
    assert order["company_id"] == plan["company"]["$oid"]
    assert order["currency"] == "NOK"
    assert order["amount"] == 27_000
    assert order["billing_interval"] == "MONTH"
    assert [(i["product_id"], i["quantity"], i["unit_amount"]) for i in order["items"]] == [
        (PRODUCT_1, 1, 10_000),
        (PRODUCT_2, 2, 20_000),
    ]
    assert datetime.fromisoformat(order["due_at"]) == first
    assert order["occurrence"] == 0


def test_the_plan_next_day_moves_past_a_published_occurrence(fresh: World, owner: Plans) -> None:
    plan = daily_plan(owner, (6, 30))

    tick(fresh, starting(plan))

    day = owner.get(plan["_id"]["$oid"]).json()["recurring_days"][0]
    assert instant(day["starting_day"]["$date"]) == starting(plan)
    assert instant(day["next_day"]["$date"]) == starting(plan) + timedelta(days=1)


def test_a_second_tick_for_the_same_minute_publishes_nothing_more(fresh: World, owner: Plans) -> None:
    plan = daily_plan(owner, (6, 30))
    tick(fresh, starting(plan))

    assert tick(fresh, starting(plan)) == 0
    assert tick(fresh, starting(plan) + timedelta(minutes=1)) == 0
    assert len(orders_of(fresh, plan)) == 1


def test_after_an_outage_every_missed_occurrence_is_published_once(fresh: World, owner: Plans) -> None:
    # Given a plan ordering twice a day, and a schedule that did not run for three days
    plan = daily_plan(owner, (6, 30), (18, 5))
    created = instant(plan["created"]["$date"])
    back = created + timedelta(days=3, hours=2)

    # When it runs again
    tick(fresh, back)

    # Then every occurrence since the plan began is published, each once
    orders = orders_of(fresh, plan)
    assert due_ats(orders) == daily_times_between([(6, 30), (18, 5)], created, back)
    assert len({o["order_id"] for o in orders}) == len(orders)


def test_a_catch_up_larger_than_one_transaction_is_finished_by_the_tick(fresh: World, owner: Plans) -> None:
    # Given four orders a day and 16 days without the schedule (64 orders: more than 50 at once)
    times = [(0, 15), (6, 15), (12, 15), (18, 15)]
    plan = daily_plan(owner, *times)
    created = instant(plan["created"]["$date"])
    back = created + timedelta(days=16)

    published = tick(fresh, back)

    expected = daily_times_between(times, created, back)
    assert len(expected) > 50
    assert published == len(expected)
    assert due_ats(orders_of(fresh, plan)) == expected


def test_overlapping_ticks_publish_each_order_exactly_once(fresh: World, owner: Plans) -> None:
    # Given a plan that has missed two days of orders
    plan = daily_plan(owner, (6, 30), (18, 5))
    created = instant(plan["created"]["$date"])
    back = created + timedelta(days=2)

    # When four invocations of the schedule run at the same time (late ones, retries)
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(lambda _: tick(fresh, back), range(4)))

    # Then each occurrence was published by exactly one of them
    expected = daily_times_between([(6, 30), (18, 5)], created, back)
    assert sum(counts) == len(expected)
    assert due_ats(orders_of(fresh, plan)) == expected


def test_a_deleted_plan_publishes_no_more_orders(fresh: World, owner: Plans) -> None:
    plan = daily_plan(owner, (6, 30))
    tick(fresh, starting(plan))

    owner.delete(plan["_id"]["$oid"])

    assert tick(fresh, starting(plan) + timedelta(days=5)) == 0
    assert len(orders_of(fresh, plan)) == 1


def test_an_inactive_plan_publishes_nothing_until_it_is_active_again(fresh: World, owner: Plans) -> None:
    plan = daily_plan(owner, (6, 30), static=False)
    owner.update(plan["_id"]["$oid"], {"active": False})

    assert tick(fresh, starting(plan) + timedelta(days=2)) == 0

    owner.update(plan["_id"]["$oid"], {"active": True})
    assert tick(fresh, starting(plan) + timedelta(days=2)) == 3


def test_a_plan_created_inactive_publishes_nothing(fresh: World, owner: Plans) -> None:
    plan = daily_plan(owner, (6, 30), active=False)

    assert tick(fresh, starting(plan) + timedelta(days=3)) == 0


def test_another_user_of_the_company_does_not_change_whose_orders_they_are(fresh: World, owner: Plans) -> None:
    plan = daily_plan(owner, (6, 30))
    admin = Plans(fresh.api, company_token("admin-1", admin=True))
    admin.update(plan["_id"]["$oid"], {"note": "checked by admin"})

    tick(fresh, starting(plan))

    assert [o["user_id"] for o in orders_of(fresh, plan)] == ["member-1"]


# --- dates ---------------------------------------------------------------------------------


def test_the_31st_falls_on_the_last_day_of_shorter_months_in_the_plan_timezone(fresh: World, owner: Plans) -> None:
    # Given a monthly order on the 31st at 23:30 in Oslo (the previous day or same day in UTC)
    plan = owner.created(
        recurring_plan(
            interval_unit="MONTH", timezone="Europe/Oslo", recurring_days=[{"day": 31, "hour": 23, "minute": 30}]
        )
    )

    # When the schedule catches up a year and a half
    tick(fresh, starting(plan) + timedelta(days=550))

    # Then every month has one order, on its last day or the 31st, at 23:30 Oslo time
    oslo = ZoneInfo("Europe/Oslo")
    local = [due.astimezone(oslo) for due in due_ats(orders_of(fresh, plan))]
    assert len(local) >= 18
    for moment in local:
        following = (moment.date().replace(day=1) + timedelta(days=32)).replace(day=1)
        assert moment.date() == following - timedelta(days=1)
        assert (moment.hour, moment.minute) == (23, 30)
    months = [(m.year, m.month) for m in local]
    assert len(set(months)) == len(months)


def test_a_weekly_order_keeps_its_wall_clock_time_across_dst_changes(fresh: World, owner: Plans) -> None:
    plan = owner.created(
        recurring_plan(timezone="America/New_York", recurring_days=[{"day": 2, "hour": 9, "minute": 15}])
    )

    tick(fresh, starting(plan) + timedelta(weeks=40, hours=2))

    new_york = ZoneInfo("America/New_York")
    local = [due.astimezone(new_york) for due in due_ats(orders_of(fresh, plan))]
    assert len(local) == 41
    assert {(m.weekday(), m.hour, m.minute) for m in local} == {(2, 9, 15)}
    assert {m.utcoffset() for m in local} == {timedelta(hours=-5), timedelta(hours=-4)}
    assert all(b.date() - a.date() == timedelta(days=7) for a, b in itertools.pairwise(local))


def test_a_recurring_day_starts_on_the_first_matching_weekday(fresh: World, owner: Plans) -> None:
    plan = owner.created(recurring_plan(recurring_days=[{"day": 6, "hour": 0, "minute": 0}]))

    first = starting(plan)

    assert first.weekday() == 6
    assert (first.hour, first.minute) == (0, 0)
    assert instant(plan["created"]["$date"]) <= first < instant(plan["created"]["$date"]) + timedelta(days=7)
    assert first.date() >= date(2020, 1, 1)
