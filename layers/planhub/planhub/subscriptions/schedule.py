"""A recurring order plan's schedule: starting it, resuming it, and taking what has fallen due.

Pure functions over the plan's recurring days (planhub.subscriptions.recurrence does the
date arithmetic); no storage.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from planhub.subscriptions.models import RecurringDay, RecurringDayBody, SubscriptionPlan
from planhub.subscriptions.recurrence import Recurrence, RecurrenceUnit, zone_named

UTC_ZONE = "UTC"


@dataclass(frozen=True)
class Occurrence:
    """Occurrence `index` of recurring day `day_index`: one order, due at `due_at`."""

    day_index: int
    index: int
    due_at: datetime


def _recurrence(unit: RecurrenceUnit, zone_name: str | None, day: int, hour: int, minute: int) -> Recurrence:
    return Recurrence(unit, day, hour, minute, zone_named(zone_name or UTC_ZONE))


def start(
    unit: RecurrenceUnit, zone_name: str | None, entries: Sequence[RecurringDayBody], now: datetime
) -> list[RecurringDay]:
    """Each recurring day's first occurrence at or after `now` becomes its occurrence 0."""
    days = []
    for entry in entries:
        day = entry.day or 0
        recurrence = _recurrence(unit, zone_name, day, entry.hour, entry.minute)
        anchor = recurrence.first_on_or_after(now)
        first = recurrence.occurrence(anchor, 0)
        days.append(
            RecurringDay(
                day=day, hour=entry.hour, minute=entry.minute, anchor=anchor, starting_day=first, next_day=first
            )
        )
    return days


def _recurrence_of(plan: SubscriptionPlan, day: RecurringDay) -> Recurrence:
    return _recurrence(plan.recurrence_unit, plan.timezone, day.day, day.hour, day.minute)


def resumed(plan: SubscriptionPlan, now: datetime) -> list[RecurringDay]:
    """The recurring days of a plan made active again: the orders it missed while inactive
    are skipped, each day goes on with its first occurrence at or after `now`."""
    days = []
    for day in plan.recurring_days or []:
        recurrence = _recurrence_of(plan, day)
        index = max(day.next_index, recurrence.index_on_or_after(day.anchor, now))
        days.append(day.model_copy(update={"next_index": index, "next_day": recurrence.occurrence(day.anchor, index)}))
    return days


def earliest(days: Sequence[RecurringDay]) -> datetime | None:
    return min((d.next_day for d in days), default=None)


def take_due(plan: SubscriptionPlan, now: datetime, limit: int) -> tuple[list[Occurrence], list[RecurringDay]]:
    """Up to `limit` occurrences due at `now`, oldest first across the recurring days, and the
    recurring days moved past them. Each occurrence is computed from its day's anchor."""
    days = list(plan.recurring_days or [])
    recurrences = [_recurrence_of(plan, d) for d in days]
    pending = [(d.next_day, i, d.next_index) for i, d in enumerate(days)]
    heapq.heapify(pending)
    taken: list[Occurrence] = []
    while pending and len(taken) < limit and pending[0][0] <= now:
        due_at, i, index = heapq.heappop(pending)
        taken.append(Occurrence(day_index=i, index=index, due_at=due_at))
        following = recurrences[i].occurrence(days[i].anchor, index + 1)
        days[i] = days[i].model_copy(update={"next_index": index + 1, "next_day": following})
        heapq.heappush(pending, (following, i, index + 1))
    return taken, days
