"""Domain events.

A state change and its event are written in one DynamoDB transaction: the event is an
outbox item (`record(event)` gives the write). The table's stream carries the outbox item to
the publisher function, which puts it on the bus; rules route it to the consumers. So the
change is never lost without its event, nor the event without its change.

An event must fit one PutEvents entry (256 KB, AWS's own count: `entry_size`). Lists in an
event's data are bounded where the event is made (`bounded(...)`: the first EVENT_LIST_LIMIT
ids and the full count), and `record` refuses an event that would not fit, so an oversized
event fails its request (and its test) instead of blocking the stream on AWS.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from planhub.storage import Expression, Put
from planhub.storage import keys as table_keys

SOURCE = "planhub"
OUTBOX_ENTITY = "event"
OUTBOX_RETENTION_SECONDS = 7 * 24 * 3600
# PutEvents: at most 10 entries and 256 KB per request, an entry counted as AWS counts it.
PUT_EVENTS_MAX_ENTRIES = 10
PUT_EVENTS_MAX_BYTES = 256 * 1024
# The ids a list in an event's data carries at most (children, assessors, managers, lo ids):
# 100 ids of up to 128 characters stay far below the entry limit with the rest of the data.
EVENT_LIST_LIMIT = 100


class EventTooLarge(Exception):
    """An event that could not be put on the bus (a programming error: bound its lists)."""


class EventType(StrEnum):
    """Every detail-type planhub puts on the bus. Rules in template.yaml match these strings."""

    PORTAL_SAVED = "portal saved"
    USER_SAVED = "user saved"
    GROUP_SAVED = "group saved"
    GROUP_MEMBERS_CHANGED = "group members changed"
    LEARNING_OBJECT_SAVED = "learning object saved"
    COMPANY_SAVED = "company saved"
    PRODUCT_SAVED = "product saved"
    CLIENT_SAVED = "client saved"
    CLIENT_CREDITS_TOPPED_UP = "client credits topped up"
    COUPON_SAVED = "coupon saved"
    CREDIT_TOKENS_ISSUED = "credit tokens issued"
    # --- plan plays (docs/product.md "Plan plays"); created and completed are billable (metered) ---
    PLAN_PLAY_CREATED = "plan play created"
    PLAN_PLAY_UPDATED = "plan play updated"
    PLAN_PLAY_COMPLETED = "plan play completed"
    # --- enrolments (docs/product.md "Enrolments") ---
    ENROLMENT_CREATED = "enrolment created"
    ENROLMENT_UPDATED = "enrolment updated"
    ENROLMENT_COMPLETED = "enrolment completed"
    ENROLMENT_WITHDRAWN = "enrolment withdrawn"
    # --- subscription plans (docs/product.md "Subscription plans"); "order due": one per recurring order occurrence ---
    SUBSCRIPTION_PLAN_CREATED = "subscription plan created"
    SUBSCRIPTION_PLAN_UPDATED = "subscription plan updated"
    SUBSCRIPTION_PLAN_DELETED = "subscription plan deleted"
    ORDER_DUE = "order due"
    # --- billing (docs/product.md "Billing"); paid, failed and cancelled send emails (notify: true) ---
    SUBSCRIPTION_CREATED = "subscription created"
    SUBSCRIPTION_STARTED = "subscription started"
    SUBSCRIPTION_UPDATED = "subscription updated"
    SUBSCRIPTION_STOPPED = "subscription stopped"
    SUBSCRIPTION_CANCELLED = "subscription cancelled"
    INVOICE_CREATED = "invoice created"
    INVOICE_PAID = "invoice paid"
    INVOICE_PAYMENT_FAILED = "invoice payment failed"
    INVOICE_REFUND_REQUESTED = "invoice refund requested"
    ORDER_CREATED = "order created"
    ORDER_AWAITING_PAYMENT = "order awaiting payment"
    # --- plans (docs/product.md "Plans"); "group plan batch": a slice of a group's members to assign ---
    PLAN_ASSIGNED = "plan assigned"
    PLAN_REASSIGNED = "plan reassigned"
    PLAN_DUE_DATE_CHANGED = "plan due date changed"
    PLAN_DUE_SOON = "plan due soon"
    PLAN_OVERDUE = "plan overdue"
    PLAN_UNASSIGNED = "plan unassigned"
    GROUP_PLAN_ASSIGNED = "group plan assigned"
    GROUP_PLAN_BATCH = "group plan batch"
    # --- payments (docs/product.md "Billing"): refunds travel a durable path until Stripe confirms ---
    REFUND_REQUESTED = "refund requested"
    REFUND_SUCCEEDED = "refund succeeded"
    REFUND_FAILED = "refund failed"
    PAYMENT_METHOD_CREATED = "payment method created"
    PAYMENT_METHOD_DELETED = "payment method deleted"


def bounded(data: dict[str, Any], *fields: str, limit: int = EVENT_LIST_LIMIT) -> dict[str, Any]:
    """`data` with each named list cut to its first `limit` items, beside `<field>_count`, the
    full length; a consumer that needs the whole list reads the record the event names."""
    cut = dict(data)
    for name in fields:
        values: Sequence[Any] | None = data.get(name)
        if values is None:
            continue
        cut[name] = list(values[:limit])
        cut[f"{name}_count"] = len(values)
    return cut


def entry_size(source: str, detail_type: str, detail: str, resources: Sequence[str] = ()) -> int:
    """A PutEvents entry's size as EventBridge counts it: the UTF-8 bytes of Source,
    DetailType, Detail and each resource (and 14 for a Time, which planhub never sets)."""
    return sum(len(part.encode()) for part in (source, detail_type, detail, *resources))


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DomainEvent(BaseModel):
    """What happened, as it travels: `detail` of the EventBridge event is this model."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    type: str
    occurred_at: str = Field(default_factory=_now_iso)
    actor: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, type_: EventType | str, data: dict[str, Any], *, actor: str | None = None) -> Self:
        return cls(type=str(type_), data=data, actor=actor)

    @classmethod
    def from_eventbridge(cls, event: dict[str, Any]) -> Self:
        """The domain event inside an EventBridge event (as a rule delivers it to a function)."""
        return cls.model_validate(event["detail"])

    @classmethod
    def from_outbox_item(cls, item: dict[str, Any]) -> Self:
        return cls.model_validate(item["detail"])

    def detail_json(self) -> str:
        """The `Detail` of this event's PutEvents entry."""
        return json.dumps(self.model_dump(mode="json"))

    def entry_size(self) -> int:
        return entry_size(SOURCE, self.type, self.detail_json())

    def to_outbox_item(self) -> dict[str, Any]:
        return {
            **table_keys.outbox_event(self.id),
            **table_keys.outbox_time_index_keys(self.id, self.occurred_at),
            "entity": OUTBOX_ENTITY,
            "detail": self.model_dump(mode="json"),
            "ttl": int(time.time()) + OUTBOX_RETENTION_SECONDS,
        }


def record(event: DomainEvent) -> Put:
    """The outbox write that goes into the same transaction as the change.

    Raises EventTooLarge for an event EventBridge would refuse: the change is not written.
    """
    size = event.entry_size()
    if size > PUT_EVENTS_MAX_BYTES:
        raise EventTooLarge(f"a {event.type!r} event of {size} bytes exceeds PutEvents' {PUT_EVENTS_MAX_BYTES}")
    return Put(event.to_outbox_item(), Expression("attribute_not_exists(PK)"))
