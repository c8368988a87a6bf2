"""Pure rules, fast: ISO 4217 minor units, integer money, and a plan's schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planhub.subscriptions import pricing, schedule
from planhub.subscriptions.currency import (
    MINOR_UNITS,
    WITHOUT_MINOR_UNIT,
    UnknownCurrency,
    is_exact,
    minor_units,
    to_major,
    to_minor,
)
from planhub.subscriptions.models import IntervalUnit, PlanItem, PlanMethod, RecurringDayBody, SubscriptionPlan
from planhub.subscriptions.recurrence import RecurrenceUnit
from tests.subscriptions.conftest import stored_plan

# --- ISO 4217 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "digits"),
    [("NOK", 2), ("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("ISK", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4)],
)
def test_each_currency_counts_its_own_minor_unit(code: str, digits: int) -> None:
    assert minor_units(code) == digits


def test_the_table_holds_the_whole_active_list() -> None:
    assert len(MINOR_UNITS) > 150
    assert all(len(code) == 3 and code.isupper() for code in MINOR_UNITS)
    assert set(MINOR_UNITS.values()) == {0, 2, 3, 4}


@pytest.mark.parametrize("code", ["XAU", "XDR", "XXX", "XTS"])
def test_a_code_without_a_minor_unit_cannot_count_money(code: str) -> None:
    assert code in WITHOUT_MINOR_UNIT
    with pytest.raises(UnknownCurrency, match="no minor unit"):
        minor_units(code)


@pytest.mark.parametrize("code", ["HRK", "ZWL", "ABC", "nok"])
def test_a_withdrawn_or_made_up_code_is_unknown(code: str) -> None:
    with pytest.raises(UnknownCurrency, match="not an active"):
        minor_units(code)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(MINOR_UNITS)), st.integers(0, 10**15))
def test_minor_units_go_to_major_units_and_back_exactly(code: str, minor: int) -> None:
    major = to_major(minor, code)

    assert to_minor(major, code) == minor
    assert is_exact(major, code)


def test_a_price_typed_as_a_float_is_read_from_its_decimal_text() -> None:
    # 0.1 + 0.2 is not 0.3 in floats; the catalog's 100.1 is 10010 øre, never 10009
    assert pricing.unit_amount(100.1, "NOK") == 10_010
    assert pricing.unit_amount(0.3, "KWD") == 300
    assert pricing.unit_amount(1234.0, "JPY") == 1234


def test_each_line_is_rounded_to_the_minor_unit_half_up_before_the_sum() -> None:
    lines = [
        PlanItem(product_id="a", quantity=1, discount=Decimal("0.5"), unit_amount=5),  # 2.5 -> 3
        PlanItem(product_id="b", quantity=3, discount=Decimal("0.5"), unit_amount=5),  # 7.5 -> 8
    ]

    assert pricing.items_total(lines) == 11


def test_the_plan_discount_is_taken_off_the_total_and_rounded_half_up() -> None:
    assert pricing.after_discount(30_000, Decimal("0.15")) == 25_500
    assert pricing.after_discount(5, Decimal("0.5")) == 3
    assert pricing.after_discount(999, Decimal(1)) == 0
    assert pricing.after_discount(999, Decimal(0)) == 999


# --- a plan's schedule ----------------------------------------------------------------------


def daily_plan(*times: tuple[int, int], start: datetime) -> SubscriptionPlan:
    days = schedule.start(RecurrenceUnit.DAY, "UTC", [RecurringDayBody(hour=h, minute=m) for h, m in times], start)
    return stored_plan("c", 1).model_copy(
        update={
            "method": PlanMethod.RECURRING_ORDER,
            "interval_unit": IntervalUnit.DAY,
            "recurring_days": days,
            "timezone": "UTC",
        }
    )


def test_due_occurrences_are_taken_oldest_first_across_recurring_days_up_to_the_limit() -> None:
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    plan = daily_plan((18, 0), (6, 0), start=start)

    taken, days = schedule.take_due(plan, start + timedelta(days=10), limit=5)

    assert [o.due_at for o in taken] == [
        datetime(2026, 3, 1, 6, tzinfo=UTC),
        datetime(2026, 3, 1, 18, tzinfo=UTC),
        datetime(2026, 3, 2, 6, tzinfo=UTC),
        datetime(2026, 3, 2, 18, tzinfo=UTC),
        datetime(2026, 3, 3, 6, tzinfo=UTC),
    ]
    assert [(o.day_index, o.index) for o in taken] == [(1, 0), (0, 0), (1, 1), (0, 1), (1, 2)]
    assert [d.next_day for d in days] == [datetime(2026, 3, 3, 18, tzinfo=UTC), datetime(2026, 3, 4, 6, tzinfo=UTC)]


def test_nothing_is_taken_before_it_is_due() -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    plan = daily_plan((18, 0), start=start)

    taken, days = schedule.take_due(plan, datetime(2026, 3, 1, 17, 59, 59, 999_000, tzinfo=UTC), limit=50)

    assert taken == []
    assert days == plan.recurring_days


def test_a_resumed_plan_skips_the_orders_it_missed_while_inactive() -> None:
    # Given a daily plan begun on 1 March and made inactive before its first order
    start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    plan = daily_plan((6, 0), start=start)

    # When it is made active again on 10 March at noon
    days = schedule.resumed(plan, datetime(2026, 3, 10, 12, 0, tzinfo=UTC))

    # Then its next order is 11 March, counted from the same anchor
    assert days[0].next_day == datetime(2026, 3, 11, 6, tzinfo=UTC)
    assert days[0].anchor == date(2026, 3, 1)
    assert days[0].next_index == 10
