"""The daily run: a reminder for plans due within 24 hours, an overdue notice for plans past due.

Active plans with a due date sit on GSI2 under the day they fall due (never a day before
they were written, so a plan assigned already overdue is on today's partition). A run at
`now` queries each day from the watermark up to `now + 24 h`, and for each plan found:

- due within (now, now + 24 h] and not yet reminded: "plan due soon";
- due at or before now and not yet noticed: "plan overdue", and the plan leaves the index.

Each notice is one transaction: the plan's `reminded_at` / `overdue_notified_at` (and the due
date it was for, `reminded_due` / `overdue_notified_due`) set under the condition that it was
not sent for this due date yet (and the plan still active with that due date) and the event.
So each plan gets each notice once per due date, however often or concurrently runs repeat;
a plan whose due date moves hears again for the new date.
When every day was handled, the watermark moves to today: every plan due before today has
had its overdue notice and left the index, so later runs need not read those days again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from planhub import events
from planhub.events import DomainEvent, EventType
from planhub.observability import logger
from planhub.plans.assignment import plan_event_data
from planhub.plans.models import Plan, iso
from planhub.plans.service import PlanService
from planhub.storage import ConditionFailed, Expression, Table, TransactionCanceled, Update, Write
from planhub.storage import keys as table_keys

REMINDER_WINDOW = timedelta(hours=24)
FIRST_RUN_LOOKBACK = timedelta(days=7)
PAGE_SIZE = 100
STOP_WITH_SECONDS_LEFT = 20.0


class Notice(StrEnum):
    DUE_SOON = "due soon"
    OVERDUE = "overdue"
    LEAVES_INDEX = "leaves index"  # overdue notice already sent (the due date changed since)


@dataclass
class NoticeRun:
    reminders: int = 0
    overdue: int = 0
    complete: bool = True

    def as_dict(self) -> dict[str, int | bool]:
        return {"reminders": self.reminders, "overdue": self.overdue, "complete": self.complete}


def notice_for(plan: Plan, now: datetime) -> Notice | None:
    """The notice `plan` is owed at `now`, if any."""
    if plan.archived or plan.due_date is None:
        return None
    if plan.due_date <= now:
        return Notice.LEAVES_INDEX if plan.overdue_sent_for_due_date else Notice.OVERDUE
    if plan.due_date <= now + REMINDER_WINDOW and not plan.reminded_for_due_date:
        return Notice.DUE_SOON
    return None


def run_time(scheduled: str | None) -> datetime:
    """The scheduled event's `time` (when the schedule fired), so a late retry acts for that moment."""
    if not scheduled:
        return datetime.now(UTC)
    return datetime.fromisoformat(scheduled.replace("Z", "+00:00")).astimezone(UTC)


class DueNotices:
    def __init__(self, plans: PlanService) -> None:
        self.table: Table = plans.table
        self.repository = plans.repository

    @classmethod
    def from_environment(cls) -> DueNotices:
        return cls(PlanService.from_environment())

    def run(self, now: datetime, seconds_left: Callable[[], float] = lambda: float("inf")) -> NoticeRun:
        result = NoticeRun()
        horizon = now + REMINDER_WINDOW
        upper = f"{iso(horizon)}#~"  # every plan id sorts before "~"
        day = self._first_day(now)
        while day <= horizon.date():
            cursor: str | None = None
            while True:
                if seconds_left() < STOP_WITH_SECONDS_LEFT:
                    logger.warning("stopping early: the next run continues from the watermark", extra=result.as_dict())
                    result.complete = False
                    return result
                page = self.table.query(
                    table_keys.plan_due_index(day.isoformat()),
                    index="GSI2",
                    sk_between=("0", upper),
                    limit=PAGE_SIZE,
                    cursor=cursor,
                )
                self._notify([Plan.from_item(i) for i in page.items], now, result)
                if page.cursor is None:
                    break
                cursor = page.cursor
            day += timedelta(days=1)
        self._advance_watermark(now.date())
        logger.info("plan notices sent", extra=result.as_dict())
        return result

    def _first_day(self, now: datetime) -> date:
        item = self.table.get(table_keys.plan_notices_watermark(), consistent=True)
        if item is None:
            return (now - FIRST_RUN_LOOKBACK).date()
        return min(date.fromisoformat(str(item["day"])), now.date())

    def _advance_watermark(self, day: date) -> None:
        watermark = {**table_keys.plan_notices_watermark(), "entity": "plan_notices_watermark", "day": day.isoformat()}
        later_only = Expression("attribute_not_exists(PK) OR #day < :day", {"#day": "day"}, {":day": day.isoformat()})
        try:
            self.table.put(watermark, later_only)
        except ConditionFailed:
            logger.info("the watermark is already at or past this day", extra={"day": day.isoformat()})

    def _notify(self, plans: list[Plan], now: datetime, result: NoticeRun) -> None:
        owed = [(plan, notice) for plan in plans if (notice := notice_for(plan, now)) is not None]
        if not owed:
            return
        portals, los, users = self.repository.catalog_records(
            (p.portal_id for p, _ in owed), (p.lo_id for p, _ in owed), ((p.portal_id, p.user_id) for p, _ in owed)
        )
        for plan, notice in owed:
            writes: list[Write] = [_mark(plan, notice, now)]
            if notice is not Notice.LEAVES_INDEX:
                kind = EventType.PLAN_DUE_SOON if notice is Notice.DUE_SOON else EventType.PLAN_OVERDUE
                data = plan_event_data(
                    plan, users.get((plan.portal_id, plan.user_id)), los.get(plan.lo_id), portals.get(plan.portal_id)
                )
                writes.append(events.record(DomainEvent.of(kind, data)))
            try:
                self.table.transact(writes)
            except TransactionCanceled:
                # Someone got there first: another run sent it, or the plan changed meanwhile.
                logger.info("notice not owed any more", extra={"plan_id": plan.id, "notice": str(notice)})
                continue
            if notice is Notice.DUE_SOON:
                result.reminders += 1
            elif notice is Notice.OVERDUE:
                result.overdue += 1


def _mark(plan: Plan, notice: Notice, now: datetime) -> Update:
    """Records the notice on the plan, under the condition that it is still owed."""
    assert plan.due_date is not None
    values = {":due": iso(plan.due_date), ":now": iso(now), ":false": False}
    still_due = "due_date = :due AND archived = :false"
    if notice is Notice.DUE_SOON:
        return Update(
            table_keys.plan(plan.id),
            Expression("SET reminded_at = :now, reminded_due = :due", values=values),
            Expression(f"{still_due} AND (attribute_not_exists(reminded_at) OR reminded_due <> :due)", values=values),
        )
    if notice is Notice.OVERDUE:
        return Update(
            table_keys.plan(plan.id),
            Expression(
                "SET overdue_notified_at = :now, overdue_notified_due = :due REMOVE GSI2PK, GSI2SK", values=values
            ),
            Expression(
                f"{still_due} AND (attribute_not_exists(overdue_notified_at) OR overdue_notified_due <> :due)",
                values=values,
            ),
        )
    return Update(
        table_keys.plan(plan.id),
        Expression("REMOVE GSI2PK, GSI2SK"),
        Expression("due_date = :due AND attribute_exists(overdue_notified_at)", values={":due": iso(plan.due_date)}),
    )
