"""The date rules of recurring orders (planhub.subscriptions.recurrence), pure and fast.

Properties range over years 1970..2100, every day of the month, leap years, and zones with
DST changes (including Lord Howe's half-hour change and zones south of the equator).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planhub.subscriptions.recurrence import Recurrence, RecurrenceUnit, wall_clock_instant, zone_named

ZONES = [
    "UTC",
    "Europe/Oslo",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
    "Africa/Casablanca",
]

zones = st.sampled_from(ZONES).map(ZoneInfo)
hours = st.integers(0, 23)
minutes = st.integers(0, 59)
anchors = st.dates(min_value=date(1970, 1, 1), max_value=date(2100, 12, 31))
moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)
occurrence_indexes = st.integers(0, 400)


@st.composite
def recurrences(draw: st.DrawFn, unit: RecurrenceUnit | None = None) -> Recurrence:
    chosen = unit or draw(st.sampled_from(list(RecurrenceUnit)))
    day = {
        RecurrenceUnit.DAY: st.just(0),
        RecurrenceUnit.WEEK: st.integers(0, 6),
        RecurrenceUnit.MONTH: st.integers(1, 31),
    }[chosen]
    return Recurrence(chosen, draw(day), draw(hours), draw(minutes), draw(zones))


def wall_time_exists(local_day: date, hour: int, minute: int, zone: ZoneInfo) -> bool:
    instant = wall_clock_instant(local_day, hour, minute, zone)
    local = instant.astimezone(zone)
    return (local.date(), local.hour, local.minute) == (local_day, hour, minute)


# --- properties ------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(recurrences(), anchors, occurrence_indexes)
def test_each_occurrence_shows_the_chosen_wall_clock_time_in_the_plan_zone(
    recurrence: Recurrence, anchor: date, n: int
) -> None:
    # Given a recurring day anchored on a local date
    local_day = recurrence.local_date(anchor, n)

    # When occurrence n is computed
    local = recurrence.occurrence(anchor, n).astimezone(recurrence.zone)

    # Then the plan's clocks show hour:minute that day, unless DST skipped that time,
    # in which case it happens as much later as the change skipped (within 3 hours)
    if wall_time_exists(local_day, recurrence.hour, recurrence.minute, recurrence.zone):
        assert (local.date(), local.hour, local.minute) == (local_day, recurrence.hour, recurrence.minute)
    else:
        wanted = datetime(local_day.year, local_day.month, local_day.day, recurrence.hour, recurrence.minute)
        shift = local.replace(tzinfo=None) - wanted
        assert timedelta(0) < shift <= timedelta(hours=3)


@settings(max_examples=300, deadline=None)
@given(recurrences(), anchors, occurrence_indexes)
def test_occurrences_are_strictly_increasing(recurrence: Recurrence, anchor: date, n: int) -> None:
    assert recurrence.occurrence(anchor, n) < recurrence.occurrence(anchor, n + 1)


@settings(max_examples=300, deadline=None)
@given(recurrences(RecurrenceUnit.MONTH), anchors, occurrence_indexes)
def test_a_monthly_day_falls_on_that_day_or_the_last_day_of_a_shorter_month_without_drift(
    recurrence: Recurrence, anchor: date, n: int
) -> None:
    # When occurrence n of a monthly recurring day is computed from its anchor
    local_day = recurrence.local_date(anchor, n)

    # Then it is n months after the anchor's month, on `day` or the month's last day
    months = (local_day.year - anchor.year) * 12 + local_day.month - anchor.month
    assert months == n
    assert local_day.day == min(recurrence.day, calendar.monthrange(local_day.year, local_day.month)[1])


@settings(max_examples=300, deadline=None)
@given(recurrences(RecurrenceUnit.WEEK), anchors, occurrence_indexes)
def test_a_weekly_day_is_every_seventh_day_on_its_weekday(recurrence: Recurrence, anchor: date, n: int) -> None:
    # Given an anchor on the recurring weekday (as first_on_or_after makes it)
    anchor = anchor - timedelta(days=(anchor.weekday() - recurrence.day) % 7)

    # Then every occurrence is on that weekday, seven days after the previous one
    assert recurrence.local_date(anchor, n).weekday() == recurrence.day
    assert recurrence.local_date(anchor, n + 1) - recurrence.local_date(anchor, n) == timedelta(days=7)


@settings(max_examples=300, deadline=None)
@given(recurrences(RecurrenceUnit.DAY), anchors, occurrence_indexes)
def test_a_daily_recurrence_happens_on_every_local_day(recurrence: Recurrence, anchor: date, n: int) -> None:
    assert recurrence.local_date(anchor, n) == anchor + timedelta(days=n)


@settings(max_examples=300, deadline=None)
@given(recurrences(), moments)
def test_the_first_occurrence_is_the_earliest_one_at_or_after_the_start(
    recurrence: Recurrence, start: datetime
) -> None:
    # When a schedule starts at `start`
    anchor = recurrence.first_on_or_after(start)

    # Then its occurrence 0 is at or after the start ...
    first = recurrence.occurrence(anchor, 0)
    assert first >= start
    # ... and the occurrence one step before it (same rule, previous day/week/month) is before it
    previous_anchor = {
        RecurrenceUnit.DAY: anchor - timedelta(days=1),
        RecurrenceUnit.WEEK: anchor - timedelta(days=7),
        RecurrenceUnit.MONTH: date(anchor.year - (anchor.month == 1), (anchor.month - 2) % 12 + 1, 1),
    }[recurrence.unit]
    assert recurrence.occurrence(previous_anchor, 0) < start
    if recurrence.unit is RecurrenceUnit.WEEK:
        assert anchor.weekday() == recurrence.day


@settings(max_examples=300, deadline=None)
@given(recurrences(), anchors, moments)
def test_the_index_on_or_after_a_moment_is_the_first_occurrence_not_before_it(
    recurrence: Recurrence, anchor: date, moment: datetime
) -> None:
    # Given a schedule anchored on a date whose first occurrence defines the anchor
    anchor = recurrence.first_on_or_after(datetime.combine(anchor, datetime.min.time(), tzinfo=UTC))

    # When asking for the first occurrence at or after a moment
    n = recurrence.index_on_or_after(anchor, moment)

    # Then it is at or after the moment, and the one before it (if any) is before the moment
    assert recurrence.occurrence(anchor, n) >= moment
    if n > 0:
        assert recurrence.occurrence(anchor, n - 1) < moment


# --- examples the properties stand for ---------------------------------------------------


def test_the_31st_falls_on_29_february_in_a_leap_year_and_on_31_march_after_it() -> None:
    monthly = Recurrence(RecurrenceUnit.MONTH, 31, 10, 0, ZoneInfo("UTC"))

    anchor = monthly.first_on_or_after(datetime(2024, 1, 31, 11, tzinfo=UTC))

    assert [monthly.local_date(anchor, n) for n in range(4)] == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]


def test_the_31st_falls_on_28_february_in_a_common_year() -> None:
    monthly = Recurrence(RecurrenceUnit.MONTH, 31, 0, 0, ZoneInfo("UTC"))

    assert monthly.local_date(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert monthly.local_date(date(2023, 1, 31), 13) == date(2024, 2, 29)


def test_the_wall_clock_time_is_kept_across_a_dst_change() -> None:
    # Given a weekly order at 10:42 in Oslo, on the Mondays around the change of 31 March 2024
    weekly = Recurrence(RecurrenceUnit.WEEK, 0, 10, 42, ZoneInfo("Europe/Oslo"))
    anchor = date(2024, 3, 25)

    # Then it is 09:42 UTC in winter time and 08:42 UTC in summer time
    assert weekly.occurrence(anchor, 0) == datetime(2024, 3, 25, 9, 42, tzinfo=UTC)
    assert weekly.occurrence(anchor, 1) == datetime(2024, 4, 1, 8, 42, tzinfo=UTC)


def test_a_time_skipped_by_the_spring_change_happens_as_much_later() -> None:
    daily = Recurrence(RecurrenceUnit.DAY, 0, 2, 30, ZoneInfo("America/New_York"))

    # 2024-03-10 02:30 does not exist in New York: it happens at 03:30 EDT (07:30 UTC)
    assert daily.occurrence(date(2024, 3, 10), 0) == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)


def test_a_time_repeated_by_the_autumn_change_happens_once_the_first_time() -> None:
    daily = Recurrence(RecurrenceUnit.DAY, 0, 1, 30, ZoneInfo("America/New_York"))

    # 2024-11-03 01:30 happens twice in New York; the order is due at the first (EDT, 05:30 UTC)
    assert daily.occurrence(date(2024, 11, 3), 0) == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    assert daily.occurrence(date(2024, 11, 3), 1) == datetime(2024, 11, 4, 6, 30, tzinfo=UTC)


def test_a_start_after_the_time_of_day_begins_the_next_day() -> None:
    daily = Recurrence(RecurrenceUnit.DAY, 0, 10, 42, ZoneInfo("UTC"))

    assert daily.first_on_or_after(datetime(2024, 5, 1, 10, 42, 0, 1000, tzinfo=UTC)) == date(2024, 5, 2)
    assert daily.first_on_or_after(datetime(2024, 5, 1, 10, 42, tzinfo=UTC)) == date(2024, 5, 1)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "utc/../UTC", "posix/Europe/Oslo"])
def test_only_iana_zone_names_are_accepted(name: str) -> None:
    with pytest.raises(ValueError, match="IANA"):
        zone_named(name)
