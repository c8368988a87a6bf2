"""Billing periods, end rules and proration: pure arithmetic on UTC instants, no storage.

A subscription's periods are counted from its `starting_date` (the anchor), period n being
the half-open interval [start(n), start(n + 1)):

- WEEK: start(n) = anchor + 7n days;
- MONTH: start(n) is the anchor's day of the month, n months on, at the anchor's time; a
  day the month does not have falls on its last day (31 January -> 28/29 February ->
  31 March: computed from the anchor, never from the previous period, so nothing drifts);
- MONTH_END: period 0 runs from the anchor to the end of the anchor's month; every later
  period is one calendar month, ending at the end of its last day (the next month's first
  instant, 00:00 UTC).

Money is integer minor units; a share of an amount is rounded half up to the minor unit
in integer arithmetic on milliseconds (no floats).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class Interval(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"
    MONTH_END = "MONTH_END"


_MS = timedelta(milliseconds=1)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def period_start(interval: Interval, anchor: datetime, n: int) -> datetime:
    """The first instant of period `n` (n >= 0) of a subscription started at `anchor`."""
    if n < 0:
        raise ValueError("periods are counted from 0")
    anchor = anchor.astimezone(UTC)
    if n == 0:
        return anchor
    if interval is Interval.WEEK:
        return anchor + timedelta(days=7 * n)
    year, month = _add_months(anchor.year, anchor.month, n)
    if interval is Interval.MONTH_END:
        return datetime(year, month, 1, tzinfo=UTC)
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_end(interval: Interval, anchor: datetime, n: int) -> datetime:
    """The end of period `n`, exclusive: the start of period n + 1."""
    return period_start(interval, anchor, n + 1)


def period_at(interval: Interval, anchor: datetime, moment: datetime) -> int:
    """The period that holds `moment` (0 for any moment before the anchor)."""
    anchor = anchor.astimezone(UTC)
    if moment <= anchor:
        return 0
    if interval is Interval.WEEK:
        estimate = (moment - anchor) // timedelta(days=7)
    else:
        estimate = (moment.year - anchor.year) * 12 + (moment.month - anchor.month)
    n = max(0, estimate - 1)
    while n > 0 and period_start(interval, anchor, n) > moment:
        n -= 1
    while period_start(interval, anchor, n + 1) <= moment:
        n += 1
    return n


# --- end rules ----------------------------------------------------------------------------


class EndRule(StrEnum):
    INFINITE = "infinite"
    ENDING_DATE = "ending_date"
    INTERVAL_TOTAL = "interval_total"


@dataclass(frozen=True)
class End:
    """The end rule a subscription keeps: `infinite` beats `ending_date` beats `interval_total`."""

    rule: EndRule
    ending_date: datetime | None = None
    interval_total: int | None = None

    @classmethod
    def chosen(cls, *, infinite: bool | None, ending_date: datetime | None, interval_total: int | None) -> End | None:
        """The winning rule among those given; None when none is given."""
        if infinite:
            return cls(EndRule.INFINITE)
        if ending_date is not None:
            return cls(EndRule.ENDING_DATE, ending_date=ending_date)
        if interval_total is not None:
            return cls(EndRule.INTERVAL_TOTAL, interval_total=interval_total)
        return None

    def end_at(self, interval: Interval, anchor: datetime) -> datetime | None:
        """When the subscription ends (exclusive); None: never."""
        if self.rule is EndRule.ENDING_DATE:
            return self.ending_date
        if self.rule is EndRule.INTERVAL_TOTAL and self.interval_total is not None:
            return period_start(interval, anchor, self.interval_total)
        return None


def billable(interval: Interval, anchor: datetime, n: int, end_at: datetime | None) -> bool:
    """Period n is billed when it begins before the subscription's end."""
    return end_at is None or period_start(interval, anchor, n) < end_at


# --- proration ----------------------------------------------------------------------------


def share_half_up(amount: int, part: int, whole: int) -> int:
    """amount x part / whole, rounded half up to a whole minor unit (integers only)."""
    if whole <= 0:
        raise ValueError("the whole must be positive")
    return (2 * amount * part + whole) // (2 * whole)


def unused_share(amount: int, start: datetime, end: datetime, stop: datetime) -> int:
    """The part of `amount` (paid for [start, end)) that a stop at `stop` leaves unused."""
    whole = (end - start) // _MS
    stop = min(max(stop, start), end)
    return share_half_up(amount, (end - stop) // _MS, whole)


def prorate_amount(amount: int, start: datetime, end: datetime, stop: datetime) -> int:
    """`prorate_amount` as a stop answers it: minus the unused share, in minor units."""
    return -unused_share(amount, start, end, stop)
