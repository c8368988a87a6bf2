"""The recurring-order tick: every minute, publish one "order due" event per occurrence that
has come, and move the plan's schedule past it.

Finding: GSI2 holds every active recurring order plan under `ORDERDUE#<shard>` (8 shards)
with the sort key `<next due instant>#<plan id>`; a Query per shard for keys up to now finds
what is due, however long ago (after an outage, every missed occurrence is still there).

Exactly once: the events go out through the outbox in the same transaction that advances
the plan's recurring days, and that transaction requires the plan's version to be the one
read. Two ticks that overlap (or a retried one) read the same version; only one commits,
the other gets the plan as it now stands back and finds nothing left due. Each event's id
is derived from (plan, recurring day, occurrence), so even a replayed transaction could not
put the same order twice (the outbox write requires its id to be new).

Catch-up is bounded: one transaction publishes at most 50 orders of one plan (plus its
plan write, within DynamoDB's 100), and one tick stops when its time runs short; the rest
is still due and the next tick goes on from it, oldest first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from planhub.events import DomainEvent, EventType
from planhub.observability import logger
from planhub.settings import TableEnvironment
from planhub.storage import Table, races
from planhub.storage import keys as table_keys
from planhub.subscriptions import schedule
from planhub.subscriptions.models import SubscriptionPlan, iso_ms
from planhub.subscriptions.repository import StaleVersion, SubscriptionPlanRepository
from planhub.subscriptions.schedule import Occurrence

ORDERS_PER_TRANSACTION = 50
PLANS_PER_QUERY = 100
MAX_ROUNDS_PER_SHARD = 20
MAX_ATTEMPTS_PER_PLAN = 3
STOP_WITH_SECONDS_LEFT = 10.0
ORDER_NAMESPACE = uuid.UUID("6f1c2a52-3b8e-4c1e-9a55-0d2f5b7e4c11")


def order_id(plan_id: str, occurrence: Occurrence) -> str:
    return f"{plan_id}-{occurrence.day_index}-{occurrence.index}"


def order_due_event(plan: SubscriptionPlan, occurrence: Occurrence) -> DomainEvent:
    order = order_id(plan.id, occurrence)
    data: dict[str, Any] = {
        "order_id": order,
        "plan_id": plan.id,
        "company_id": plan.company_id,
        "user_id": plan.user_id,
        "user_email": plan.user_email,
        "user_name": plan.user_name,
        "plan_name": plan.name,
        "due_at": iso_ms(occurrence.due_at),
        "recurring_day": occurrence.day_index,
        "occurrence": occurrence.index,
        "billing_interval": plan.billing_interval.value,
        "currency": plan.currency,
        "amount": plan.amount_per_interval,
        "items": [
            {
                "product_id": item.product_id,
                "quantity": item.quantity,
                "discount": str(item.discount),
                "unit_amount": item.unit_amount,
            }
            for item in plan.items
        ],
    }
    return DomainEvent(id=uuid.uuid5(ORDER_NAMESPACE, order).hex, type=str(EventType.ORDER_DUE), data=data)


class DueOrderPublisher:
    def __init__(self, table: Table) -> None:
        self.repository = SubscriptionPlanRepository(table)

    @classmethod
    def from_environment(cls) -> DueOrderPublisher:
        return cls(Table(TableEnvironment.load().table_name))

    def tick(self, scheduled_time: str | None, seconds_left: Callable[[], float]) -> int:
        """One run of the schedule: "now" is the minute it fired for (the event's `time`)."""
        now = datetime.fromisoformat(scheduled_time) if scheduled_time else datetime.now(UTC)
        return self.publish_due(now if now.tzinfo else now.replace(tzinfo=UTC), seconds_left)

    def publish_due(self, now: datetime, seconds_left: Callable[[], float] = lambda: 60.0) -> int:
        """Publishes every order due at `now` (as far as time allows); answers how many."""
        published = 0
        for shard in range(table_keys.ORDER_DUE_SHARDS):
            for _ in range(MAX_ROUNDS_PER_SHARD):
                if seconds_left() < STOP_WITH_SECONDS_LEFT:
                    logger.warning("tick out of time; the next tick goes on", extra={"published": published})
                    return published
                due = self.repository.due_plans(shard, now, PLANS_PER_QUERY)
                in_round = sum(self._publish_plan_safely(plan, now) for plan in due)
                published += in_round
                # Nothing published: nothing left, or only stale index entries (GSI reads lag).
                if in_round == 0:
                    break
        logger.info("due orders published", extra={"published": published, "now": iso_ms(now)})
        return published

    def _publish_plan_safely(self, plan: SubscriptionPlan, now: datetime) -> int:
        try:
            return self._publish_plan(plan, now)
        except Exception:  # noqa: BLE001 - one broken plan must not hold up every other plan's orders
            logger.exception("could not publish a plan's due orders", extra={"plan_id": plan.id})
            return 0

    def _publish_plan(self, plan: SubscriptionPlan | None, now: datetime) -> int:
        for attempt in races.attempts(MAX_ATTEMPTS_PER_PLAN):
            if plan is None or not plan.active or plan.deleted or plan.due_at is None or plan.due_at > now:
                return 0
            occurrences, days = schedule.take_due(plan, now, ORDERS_PER_TRANSACTION)
            advanced = plan.model_copy(
                update={"recurring_days": days, "due_at": schedule.earliest(days), "version": plan.version + 1}
            )
            try:
                self.repository.replace(plan, advanced, *(order_due_event(plan, o) for o in occurrences))
            except StaleVersion as stale:
                # Another tick (or an update) got there first: carry on from the plan as it stands.
                attempt.lost("plan changed while publishing its orders; going on from it", stale, plan_id=plan.id)
                plan = stale.current or self.repository.plan(plan.id)
                continue
            return len(occurrences)
        logger.warning("plan kept changing while publishing its orders", extra={"plan_id": plan.id if plan else None})
        return 0
