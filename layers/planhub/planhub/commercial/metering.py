"""Metering: per-client, per-month usage totals of billable activity (docs/product.md "Plan plays").

Every billable event carries its `Charge` under `BILLING` in its data and reaches
`Metering.record` through an EventBridge rule. Recording is one transaction: a marker
keyed by the event's id (put only if absent) and the additions to the month's totals. A
redelivered event finds its marker and changes nothing, so each event counts exactly once,
even when the function is retried after a crash. The month is the one the event occurred
in (UTC), not the one it was processed in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from planhub.auth.claims import Claims
from planhub.commercial.controls import BILLING, BillableActivity, Charge
from planhub.commercial.periods import usage_period
from planhub.errors import Forbidden, InvalidInput, NotFound
from planhub.events import DomainEvent
from planhub.observability import logger, metrics
from planhub.records.client import ClientUsage
from planhub.records.repository import RecordRepository
from planhub.settings import TableEnvironment
from planhub.storage import Expression, Put, Table, TransactionCanceled, Update
from planhub.storage import keys as table_keys

CONSUMER = "metering"
USAGE_ENTITY = "client_usage"
# Longer than the bus archive keeps events (30 days), so even a replay counts once.
MARKER_RETENTION = timedelta(days=35)


class UsageTotals(BaseModel):
    """One client's billable activity in one month."""

    clientId: str
    period: str
    activities: int
    creates: int
    completions: int
    creditsConsumed: int


class UsageAnswer(BaseModel):
    data: UsageTotals


class Metering:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.records = RecordRepository(table)

    @classmethod
    def from_environment(cls) -> Metering:
        return cls(Table(TableEnvironment.load().table_name))

    def record(self, event: DomainEvent) -> bool:
        """Adds the event's charge to its month's totals; False when it was counted before."""
        charge = Charge.model_validate(event.data[BILLING])
        period = usage_period(datetime.fromisoformat(event.occurred_at))
        marker = {
            **table_keys.processed_event(CONSUMER, event.id),
            "entity": "processed_event",
            "consumer": CONSUMER,
            "event_type": event.type,
            "ttl": int((datetime.now(UTC) + MARKER_RETENTION).timestamp()),
        }
        totals = Update(
            table_keys.client_usage(charge.client_id, period),
            Expression(
                "SET #entity = :entity, #period = :period, #client = :client "
                "ADD #activities :one, #creates :creates, #completions :completions, #credits :credits",
                {
                    "#entity": "entity",
                    "#period": "period",
                    "#client": "client_id",
                    "#activities": "activities",
                    "#creates": "creates",
                    "#completions": "completions",
                    "#credits": "credits_consumed",
                },
                {
                    ":entity": USAGE_ENTITY,
                    ":period": period,
                    ":client": charge.client_id,
                    ":one": 1,
                    ":creates": int(charge.activity is BillableActivity.CREATE),
                    ":completions": int(charge.activity is BillableActivity.COMPLETION),
                    ":credits": charge.credits,
                },
            ),
        )
        try:
            self.table.transact([Put(marker, Expression("attribute_not_exists(PK)")), totals])
        except TransactionCanceled as canceled:
            if canceled.failed_conditions() == [0]:
                logger.info("billable event already metered", extra={"event_id": event.id})
                return False
            raise
        metrics.add_metric(name="BillableActivities", unit=MetricUnit.Count, value=1)
        kind = "BillableCreates" if charge.activity is BillableActivity.CREATE else "BillableCompletions"
        metrics.add_metric(name=kind, unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="CreditsConsumed", unit=MetricUnit.Count, value=charge.credits)
        logger.info("billable event metered", extra={"event_id": event.id, **charge.model_dump(mode="json")})
        return True

    def usage(self, claims: Claims, client_id: str | None, period: str | None) -> UsageAnswer:
        """A month's totals (this month by default), for staff and for the client itself."""
        client_id = client_id or claims.client_id
        if client_id is None:
            raise InvalidInput("clientId: required when the token names no client", details=[_missing_client()])
        if not claims.staff and claims.client_id != client_id:
            raise Forbidden("Access denied")
        period = period or usage_period(datetime.now(UTC))
        client, stored = self.records.find_client_with_usage(client_id, period)
        if client is None:
            raise NotFound("Client not found")
        usage = stored or ClientUsage(period=period)
        return UsageAnswer(
            data=UsageTotals(
                clientId=client_id,
                period=period,
                activities=usage.activities,
                creates=usage.creates,
                completions=usage.completions,
                creditsConsumed=usage.credits_consumed,
            )
        )


def _missing_client() -> dict[str, Any]:
    return {"field": "query.clientId", "message": "required when the token names no client"}
