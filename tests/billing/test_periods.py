"""Period arithmetic, end rules and proration: properties over generated anchors and moments."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from planhub.billing.periods import (
    End,
    EndRule,
    Interval,
    billable,
    period_at,
    period_end,
    period_start,
    prorate_amount,
    share_half_up,
    unused_share,
)

anchors = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)
intervals = st.sampled_from(list(Interval))
indexes = st.integers(min_value=0, max_value=400)


@given(intervals, anchors, indexes)
def test_periods_follow_one_another_without_gaps(interval: Interval, anchor: datetime, n: int) -> None:
    assert period_end(interval, anchor, n) == period_start(interval, anchor, n + 1)
    assert period_start(interval, anchor, n) < period_end(interval, anchor, n)


@given(intervals, anchors, indexes, st.floats(min_value=0, max_value=0.999999))
def test_a_moment_inside_a_period_is_found_in_it(interval: Interval, anchor: datetime, n: int, at: float) -> None:
    start, end = period_start(interval, anchor, n), period_end(interval, anchor, n)
    moment = start + (end - start) * at

    assert period_at(interval, anchor, moment) == n


@given(anchors, indexes)
def test_weekly_periods_are_seven_days(anchor: datetime, n: int) -> None:
    assert period_end(Interval.WEEK, anchor, n) - period_start(Interval.WEEK, anchor, n) == timedelta(days=7)


@given(anchors, indexes)
def test_monthly_periods_keep_the_anchor_day_or_the_month_s_last(anchor: datetime, n: int) -> None:
    start = period_start(Interval.MONTH, anchor, n)
    last = calendar.monthrange(start.year, start.month)[1]

    assert start.day == min(anchor.day, last)
    assert start.time() == anchor.time()
    assert (start.year * 12 + start.month) - (anchor.year * 12 + anchor.month) == n


def test_the_31st_falls_on_february_s_last_day_and_comes_back_in_march() -> None:
    anchor = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)

    assert [period_start(Interval.MONTH, anchor, n).date().isoformat() for n in range(4)] == [
        "2027-01-31",
        "2027-02-28",
        "2027-03-31",
        "2027-04-30",
    ]
    assert period_start(Interval.MONTH, datetime(2028, 1, 30, tzinfo=UTC), 1).day == 29  # leap year


@given(anchors, st.integers(min_value=1, max_value=400))
def test_month_end_periods_end_at_the_end_of_a_month(anchor: datetime, n: int) -> None:
    end = period_end(Interval.MONTH_END, anchor, n - 1)

    assert (end.day, end.hour, end.minute, end.second, end.microsecond) == (1, 0, 0, 0, 0)
    before = end - timedelta(milliseconds=1)
    assert before.day == calendar.monthrange(before.year, before.month)[1]


def test_the_first_month_end_period_runs_to_the_end_of_the_starting_month() -> None:
    anchor = datetime(2027, 2, 10, 12, tzinfo=UTC)

    assert period_end(Interval.MONTH_END, anchor, 0) == datetime(2027, 3, 1, tzinfo=UTC)
    assert period_end(Interval.MONTH_END, anchor, 1) == datetime(2027, 4, 1, tzinfo=UTC)


@given(st.booleans(), st.one_of(st.none(), anchors), st.one_of(st.none(), st.integers(1, 100)))
def test_infinite_beats_ending_date_beats_interval_total(
    infinite: bool, ending_date: datetime | None, interval_total: int | None
) -> None:
    end = End.chosen(infinite=infinite, ending_date=ending_date, interval_total=interval_total)

    if infinite:
        assert end is not None and end.rule is EndRule.INFINITE
    elif ending_date is not None:
        assert end is not None and end.rule is EndRule.ENDING_DATE and end.ending_date == ending_date
    elif interval_total is not None:
        assert end is not None and end.rule is EndRule.INTERVAL_TOTAL
    else:
        assert end is None


@given(intervals, anchors, st.integers(1, 60))
def test_interval_total_bills_exactly_that_many_periods(interval: Interval, anchor: datetime, total: int) -> None:
    end_at = End(EndRule.INTERVAL_TOTAL, interval_total=total).end_at(interval, anchor)

    assert [n for n in range(total + 5) if billable(interval, anchor, n, end_at)] == list(range(total))


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=1, max_value=10**9),
)
def test_a_share_is_rounded_half_up_to_the_minor_unit(amount: int, part: int, whole: int) -> None:
    part = min(part, whole)
    exact = amount * part / whole  # float only as the oracle's rough check
    share = share_half_up(amount, part, whole)

    assert 0 <= share <= amount
    # exactly: |share - amount*part/whole| <= 1/2, ties up
    assert abs(2 * share * whole - 2 * amount * part) <= whole
    assert (2 * share * whole - 2 * amount * part != -whole) or share > exact


@settings(max_examples=200)
@given(intervals, anchors, indexes, st.integers(0, 10**9), st.floats(0, 1))
def test_prorate_is_minus_the_unused_share_and_never_more_than_paid(
    interval: Interval, anchor: datetime, n: int, amount: int, at: float
) -> None:
    start, end = period_start(interval, anchor, n), period_end(interval, anchor, n)
    stop = start + (end - start) * at

    refund = -prorate_amount(amount, start, end, stop)

    assert 0 <= refund <= amount
    assert unused_share(amount, start, end, start) == amount
    assert unused_share(amount, start, end, end) == 0


def test_stopping_half_way_through_a_30_day_period_refunds_half_to_the_cent() -> None:
    start = datetime(2027, 4, 1, tzinfo=UTC)
    end = datetime(2027, 5, 1, tzinfo=UTC)

    assert prorate_amount(9999, start, end, start + timedelta(days=15)) == -5000  # 4999.5 half up
    assert prorate_amount(30000, start, end, start + timedelta(days=10)) == -20000
