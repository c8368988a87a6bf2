"""When a recurring order falls due: pure date arithmetic, no storage.

A recurring day (`day`, `hour`, `minute`) of a plan whose `interval_unit` is DAY, WEEK or
MONTH repeats in the plan's time zone (UTC unless the plan names an IANA zone):

- DAY: every day at hour:minute (`day` is not used);
- WEEK: every week on weekday `day` (0 = Monday ... 6 = Sunday) at hour:minute;
- MONTH: every month on day of month `day` (1..31) at hour:minute; when the month is
  shorter, on its last day (31 -> 30 April, 28 or 29 February).

Occurrence n is computed from the anchor (the local date of occurrence 0) and n, never by
stepping from occurrence n - 1: a monthly order on the 31st falls on 28 February and again
on 31 March, with no drift. The wall-clock time is kept across DST changes. A wall-clock time
that does not exist that day (skipped by a spring-forward change) happens as much later as
the change skipped (02:30 -> 03:30); one that happens twice (fall-back) happens the first time.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, available_timezones


class RecurrenceUnit(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


DAYS_IN_WEEK = 7
LAST_DAY_OF_MONTH = 31


@dataclass(frozen=True)
class Recurrence:
    """One recurring day of a plan: what repeats, and where its wall clock hangs."""

    unit: RecurrenceUnit
    day: int
    hour: int
    minute: int
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if not 0 <= self.hour <= 23 or not 0 <= self.minute <= 59:
            raise ValueError("hour must be 0..23 and minute 0..59")
        if self.unit is RecurrenceUnit.WEEK and not 0 <= self.day <= 6:
            raise ValueError("day must be 0 (Monday) to 6 (Sunday) for WEEK")
        if self.unit is RecurrenceUnit.MONTH and not 1 <= self.day <= LAST_DAY_OF_MONTH:
            raise ValueError("day must be 1 to 31 for MONTH")

    # --- occurrences from the anchor --------------------------------------------------

    def local_date(self, anchor: date, n: int) -> date:
        """The local date of occurrence `n` of a schedule whose occurrence 0 is on `anchor`."""
        if n < 0:
            raise ValueError("occurrences are counted from 0")
        if self.unit is RecurrenceUnit.DAY:
            return anchor + timedelta(days=n)
        if self.unit is RecurrenceUnit.WEEK:
            return anchor + timedelta(days=DAYS_IN_WEEK * n)
        year, month = _add_months(anchor.year, anchor.month, n)
        return date(year, month, min(self.day, calendar.monthrange(year, month)[1]))

    def occurrence(self, anchor: date, n: int) -> datetime:
        """Occurrence `n` as an instant in UTC."""
        return wall_clock_instant(self.local_date(anchor, n), self.hour, self.minute, self.zone)

    # --- finding occurrences ------------------------------------------------------------

    def first_on_or_after(self, moment: datetime) -> date:
        """The anchor of a schedule starting at `moment`: the local date of the first occurrence
        at or after `moment`."""
        today = moment.astimezone(self.zone).date()
        if self.unit is RecurrenceUnit.DAY:
            candidate = today
        elif self.unit is RecurrenceUnit.WEEK:
            candidate = today - timedelta(days=(today.weekday() - self.day) % DAYS_IN_WEEK)
        else:
            candidate = self.local_date(date(today.year, today.month, 1), 0)
        # The candidate is at most one step before `moment`; step forward from it by index.
        n = 0
        while self.occurrence(candidate, n) < moment:
            n += 1
        return self.local_date(candidate, n)

    def index_on_or_after(self, anchor: date, moment: datetime) -> int:
        """The smallest n whose occurrence is at or after `moment` (0 when `moment` is before the
        anchor's occurrence)."""
        local = moment.astimezone(self.zone).date()
        if self.unit is RecurrenceUnit.MONTH:
            estimate = (local.year - anchor.year) * 12 + (local.month - anchor.month)
        else:
            step = 1 if self.unit is RecurrenceUnit.DAY else DAYS_IN_WEEK
            estimate = (local - anchor).days // step
        n = max(0, estimate - 1)
        while n > 0 and self.occurrence(anchor, n - 1) >= moment:
            n -= 1
        while self.occurrence(anchor, n) < moment:
            n += 1
        return n


def wall_clock_instant(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the clocks of `zone` show `day` hour:minute.

    A time skipped by a DST change resolves with the offset in force before the change,
    which lands as much after the change as the change skipped; a repeated time takes its
    first occurrence (fold 0).
    """
    local = datetime.combine(day, time(hour, minute), tzinfo=zone)
    return local.astimezone(UTC)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name` (as the tz database spells it); ValueError when there is none."""
    if name not in _zone_names():
        raise ValueError(f"{name!r} is not an IANA time zone name")
    return ZoneInfo(name)
