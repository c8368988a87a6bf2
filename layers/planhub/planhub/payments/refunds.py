"""Refunds that never get lost: a request is an outbox event, a consumer refunds until Stripe
confirms.

`request_refund(...)` gives the outbox write of a `refund requested` event, to be written in
the caller's own transaction (billing: with the stop that prorates; enrolments: on its own,
after a refused enrolment transaction). The `RefundChargeFunction` consumer calls Stripe with
the request's idempotency key: transient failures are retried by the gateway, then by Lambda's
asynchronous retries, then the event waits in the dead-letter queue for `make replay`; every
attempt uses the same key, so however often it runs, the charge is refunded once. The outcome
is recorded on the refund item (`storage.keys.refund(idempotency_key)`) with a `refund
succeeded` (or, refused for good, `refund failed`) event in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from planhub import events
from planhub.errors import PaymentDeclined
from planhub.events import DomainEvent, EventType
from planhub.observability import logger, metrics
from planhub.payments.gateway import PaymentGateway, StripeGateway
from planhub.settings import TableEnvironment
from planhub.storage import Put, Table, TransactionCanceled, Write, keys, not_exists
from planhub.storage.entity import Entity
from planhub.storage.keys import Key


class RefundRequest(BaseModel):
    """The `refund requested` event's data."""

    charge_id: str
    amount: int | None  # None: all that is left of the charge
    currency: str
    idempotency_key: str
    subject: dict[str, Any]  # what the money was for, e.g. {"type": "enrolment", "id": 123}
    reason: str | None = None


def request_refund(
    *,
    charge_id: str,
    amount: int | None,
    currency: str,
    idempotency_key: str,
    subject: dict[str, Any],
    reason: str | None = None,
    actor: str | None = None,
) -> Write:
    """The outbox write of a `refund requested` event: put it in the transaction that decides the refund.

    `idempotency_key` must be derived from what is refunded (e.g. `enrolment-<id>-refund`,
    `invoice-<id>-prorate-refund`), so that requesting the same refund twice refunds once.
    """
    request = RefundRequest(
        charge_id=charge_id,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key,
        subject=subject,
        reason=reason,
    )
    return events.record(DomainEvent.of(EventType.REFUND_REQUESTED, request.model_dump(mode="json"), actor=actor))


class Refund(Entity):
    """What became of a requested refund."""

    entity_type: ClassVar[str] = "refund"

    idempotency_key: str
    charge_id: str
    amount: int | None = None  # None: all that was left of the charge
    currency: str
    subject: dict[str, Any]
    status: Literal["succeeded", "failed"]
    refund_id: str | None = None
    refunded_amount: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    requested_event_id: str
    recorded_at: str

    def keys(self) -> Key:
        return keys.refund(self.idempotency_key)


class RefundService:
    def __init__(self, table: Table, gateway: PaymentGateway) -> None:
        self.table = table
        self.gateway = gateway

    @classmethod
    def from_environment(cls) -> RefundService:
        return cls(Table(TableEnvironment.load().table_name), StripeGateway.from_environment())

    def refund(self, event: DomainEvent) -> Refund:
        """Refunds the requested charge once; raises PaymentUnavailable (so Lambda retries) while
        Stripe cannot be reached. A refund Stripe refuses for good is recorded `failed`, with an
        alarm metric: people must look at it, retrying cannot help."""
        request = RefundRequest.model_validate(event.data)
        stored = self.table.get(keys.refund(request.idempotency_key), consistent=True)
        if stored is not None:
            return Refund.from_item(stored)  # a redelivery: already done
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        base = {
            "idempotency_key": request.idempotency_key,
            "charge_id": request.charge_id,
            "amount": request.amount,
            "currency": request.currency,
            "subject": request.subject,
            "requested_event_id": event.id,
            "recorded_at": now,
        }
        try:
            done = self.gateway.refund(
                charge_id=request.charge_id, amount=request.amount, idempotency_key=request.idempotency_key
            )
        except PaymentDeclined as refused:
            logger.error("refund refused", extra={"charge_id": request.charge_id, "code": refused.code})
            metrics.add_metric(name="RefundRefused", unit=MetricUnit.Count, value=1)
            record = Refund.model_validate(
                {**base, "status": "failed", "error_code": refused.code, "error_message": refused.message}
            )
            outcome = EventType.REFUND_FAILED
        else:
            record = Refund.model_validate(
                {**base, "status": "succeeded", "refund_id": done.id, "refunded_amount": done.amount}
            )
            outcome = EventType.REFUND_SUCCEEDED
        self._record(record, outcome)
        return record

    def _record(self, record: Refund, outcome: EventType) -> None:
        try:
            self.table.transact(
                [
                    Put(record.to_item(), not_exists()),
                    events.record(DomainEvent.of(outcome, record.model_dump(mode="json"))),
                ]
            )
        except TransactionCanceled as canceled:
            if canceled.is_conflict:
                raise
            # Recorded by a concurrent delivery of the same request: Stripe's idempotency
            # answered both with the same refund.
