"""Subscriptions, invoices and payments: request bodies, what is stored, what an answer shows.

Answers keep section 7's shapes: ids and references as `{"$oid"}`, times as `{"$date": <epoch
ms>}`, amounts as numbers in major units. What is stored counts money in integer minor
units and times as ISO 8601 UTC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_serializer,
)

from planhub.billing.periods import End, Interval, billable, period_at, period_end, period_start
from planhub.extended_json import DateRef, ObjectRef, date_ref, object_ref
from planhub.money import to_major
from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key

# --- times --------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def iso_ms(moment: datetime) -> str:
    """A fixed-width UTC instant: its text order is its time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def from_epoch_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def to_ms_precision(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


UtcInstant = Annotated[datetime, PlainSerializer(iso_ms, return_type=str, when_used="json")]


def _instant(value: Any) -> Any:
    """`{"$date": <epoch ms>}` (the seed's shape) or an ISO 8601 text with its offset."""
    if isinstance(value, dict):
        if set(value) != {"$date"} or isinstance(value["$date"], bool) or not isinstance(value["$date"], int):
            raise ValueError('a time is {"$date": <milliseconds since the epoch>} or an ISO 8601 text')
        if not 0 <= value["$date"] <= MAX_EPOCH_MS:
            raise ValueError("$date is out of range")
        return from_epoch_ms(value["$date"])
    if isinstance(value, str):
        if len(value) > 40:
            raise ValueError("not an ISO 8601 time")
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise ValueError("an ISO 8601 time needs its offset (Z for UTC)")
        return to_ms_precision(moment)
    raise ValueError('a time is {"$date": <milliseconds since the epoch>} or an ISO 8601 text')


InstantInput = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema(
        {
            "type": "object",
            "properties": {"$date": {"type": "integer", "minimum": 0, "maximum": MAX_EPOCH_MS}},
            "required": ["$date"],
            "additionalProperties": False,
            "description": "Milliseconds since the epoch, UTC (an ISO 8601 text with its offset is accepted too)",
        }
    ),
]

RecordId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")]
Note = Annotated[str, StringConstraints(max_length=2000)]
IntervalTotal = Annotated[StrictInt, Field(ge=1, le=10_000)]


def derived_id(*parts: object) -> str:
    """A 24-hex id (ObjectId-shaped) that the same parts always give: exactly-once keys."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:24]


# --- enumerations -------------------------------------------------------------------------


class SubscriptionStatus(StrEnum):
    CREATED = "CREATED"
    FUTURE = "FUTURE"
    ACTIVE = "ACTIVE"
    NON_RENEWING = "NON_RENEWING"
    CANCELLED = "CANCELLED"


LIVE_STATUSES = frozenset({SubscriptionStatus.FUTURE, SubscriptionStatus.ACTIVE, SubscriptionStatus.NON_RENEWING})


class FailAction(StrEnum):
    CANCEL = "CANCEL"
    CONTINUE = "CONTINUE"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


class PaymentState(StrEnum):
    CREATED = "created"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# --- request bodies -----------------------------------------------------------------------


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubscriptionBody(Body):
    """`POST /subscriptions`."""

    plan: RecordId
    method: Annotated[str, StringConstraints(pattern=r"^license$")] = "license"
    note: Note = ""
    prorate: StrictBool | None = Field(default=None, description="Default: the plan's prorate")
    start_now: StrictBool = False
    payment_method: RecordId | None = None
    starting_date: InstantInput | None = None
    ending_date: InstantInput | None = None
    interval_total: IntervalTotal | None = None
    infinite: StrictBool | None = None


class StartBody(Body):
    """`POST /subscriptions/{id}/start`; what is not given keeps what the create gave."""

    payment_method: RecordId | None = None
    starting_date: InstantInput | None = None
    ending_date: InstantInput | None = None
    interval_total: IntervalTotal | None = None
    infinite: StrictBool | None = None


class UpdateBody(Body):
    """`POST /subscriptions/{id}/update`: note, payment method, one end rule."""

    note: Note | None = None
    payment_method: RecordId | None = None
    ending_date: InstantInput | None = None
    interval_total: IntervalTotal | None = None
    infinite: StrictBool | None = None


class StopBody(Body):
    """`POST /subscriptions/{id}/stop`."""

    ending_date: InstantInput | None = Field(default=None, description="Default: now")


# --- stored -------------------------------------------------------------------------------


class Subscription(Entity):
    entity_type: ClassVar[str] = "subscription"

    id: str
    company_id: str
    user_id: str
    email: str | None = None
    name: str | None = None
    plan_id: str
    method: str = "license"
    note: str = ""
    prorate: bool = False
    amount: int = Field(description="Minor units charged per period (the plan's amount per interval)")
    currency: str
    billing_interval: Interval
    fail_action: FailAction = FailAction.CANCEL
    max_fail_attempts: int = 0
    payment_method_id: str | None = None
    customer_id: str | None = Field(default=None, description="The payment method's Stripe customer")
    status: SubscriptionStatus = SubscriptionStatus.CREATED
    starting_date: UtcInstant | None = None
    ending_date: UtcInstant | None = None
    interval_total: int | None = None
    infinite: bool = False
    stop_date: UtcInstant | None = Field(default=None, description="NON_RENEWING until then")
    next_period: int = Field(default=0, description="The first period not yet invoiced")
    failed_attempts: int = 0
    prorate_amount: int | None = None
    refund_period: int | None = Field(default=None, description="The period whose unused share is refunded")
    refund_at: UtcInstant | None = None
    refund_requested: bool = False
    cancelled_at: UtcInstant | None = None
    cancel_reason: str | None = None
    due_at: UtcInstant | None = Field(default=None, description="When billing has work for it next")
    deleted: bool = False
    created: UtcInstant
    modified: UtcInstant
    version: int = 1

    def keys(self) -> Key:
        return keys.subscription(self.id)

    def index_keys(self) -> dict[str, str]:
        if self.due_at is None:
            return {}
        return {
            "GSI2PK": keys.billing_due_index(shard_of(self.id)),
            "GSI2SK": keys.due_order(iso_ms(self.due_at), self.id),
        }

    # --- the rules the billing run and the answers share ----------------------------------

    @property
    def end(self) -> End | None:
        return End.chosen(infinite=self.infinite, ending_date=self.ending_date, interval_total=self.interval_total)

    def end_at(self) -> datetime | None:
        """When it ends: the stop's date, else its end rule's; None: never."""
        if self.stop_date is not None:
            return self.stop_date
        if self.starting_date is None or self.end is None:
            return None
        return self.end.end_at(self.billing_interval, self.starting_date)

    def start_of(self, n: int) -> datetime:
        assert self.starting_date is not None
        return period_start(self.billing_interval, self.starting_date, n)

    def end_of(self, n: int) -> datetime:
        assert self.starting_date is not None
        return period_end(self.billing_interval, self.starting_date, n)

    def period_at(self, moment: datetime) -> int:
        assert self.starting_date is not None
        return period_at(self.billing_interval, self.starting_date, moment)

    def billable(self, n: int) -> bool:
        assert self.starting_date is not None
        return billable(self.billing_interval, self.starting_date, n, self.end_at())

    def next_due(self) -> datetime | None:
        """The earliest billing work: the next period to bill, the end, the refund."""
        candidates: list[datetime] = []
        if self.status in LIVE_STATUSES and self.starting_date is not None:
            if self.billable(self.next_period):
                candidates.append(self.start_of(self.next_period))
            end_at = self.end_at()
            if end_at is not None:
                candidates.append(end_at)
        if self.refund_at is not None and not self.refund_requested:
            candidates.append(self.refund_at)
        return min(candidates, default=None)

    def with_due(self) -> Subscription:
        return self.model_copy(update={"due_at": self.next_due()})


def shard_of(identifier: str) -> int:
    return int(hashlib.sha256(identifier.encode()).hexdigest()[:4], 16) % keys.BILLING_SHARDS


class Invoice(Entity):
    entity_type: ClassVar[str] = "invoice"

    id: str
    subscription_id: str | None = None
    order_ids: list[str] | None = None
    period: int | None = None
    company_id: str
    user_id: str
    amount: int
    currency: str
    period_start: UtcInstant
    period_end: UtcInstant
    due_date: UtcInstant
    status: InvoiceStatus = InvoiceStatus.OPEN
    payment_ids: list[str] = Field(default_factory=list)
    charge_id: str | None = None
    refund_id: str | None = None
    refunded_amount: int = 0
    created: UtcInstant
    modified: UtcInstant

    def keys(self) -> Key:
        return keys.invoice(self.id)

    def index_keys(self) -> dict[str, str]:
        return {
            "GSI1PK": keys.user_invoices_index(self.company_id, self.user_id),
            "GSI1SK": f"{iso_ms(self.period_start)}#{self.id}",
        }


class Payment(Entity):
    entity_type: ClassVar[str] = "payment"

    id: str
    company_id: str
    user_id: str
    amount: int
    currency: str
    subject_id: str = Field(description="The invoice (or order) it pays")
    subject_kind: str = "invoice"
    subscription_id: str | None = None
    order_ids: list[str] | None = Field(default=None, description="The orders an order invoice (or order) covers")
    email: str | None = None
    name: str | None = None
    payment_method_id: str | None = None
    customer_id: str | None = None
    idempotency_key: str
    description: str = ""
    current_state: PaymentState = PaymentState.CREATED
    lease_until: UtcInstant | None = Field(default=None, description="A run charging it holds it until then")
    attempts: int = 0
    charge_id: str | None = None
    status_code: str | None = None
    error_message: str | None = None
    created: UtcInstant
    modified: UtcInstant

    def keys(self) -> Key:
        return keys.payment(self.id)

    def index_keys(self) -> dict[str, str]:
        found = {
            "GSI1PK": keys.user_payments_index(self.company_id, self.user_id),
            "GSI1SK": f"{iso_ms(self.created)}#{self.id}",
        }
        if self.current_state in (PaymentState.CREATED, PaymentState.PROCESSING):
            pending_from = self.lease_until or self.created
            found["GSI2PK"] = keys.payment_due_index(shard_of(self.id))
            found["GSI2SK"] = keys.due_order(iso_ms(pending_from), self.id)
        return found


# --- answers ------------------------------------------------------------------------------


def major(minor: int | None, currency: str) -> float | None:
    return None if minor is None else float(to_major(minor, currency))  # display only


class Document(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    @model_serializer(mode="wrap")
    def _leave_out_absent(self, serialize: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        return {name: value for name, value in serialize(self).items() if value is not None}


class SubscriptionDocument(Document):
    id: ObjectRef = Field(alias="_id", serialization_alias="_id")
    plan: ObjectRef
    user: ObjectRef
    company: ObjectRef
    method: str
    note: str
    prorate: bool
    status: SubscriptionStatus
    amount: float = Field(description="Major units charged per period")
    currency: str
    billing_interval: Interval
    payment_method: ObjectRef | None = None
    starting_date: DateRef | None = None
    ending_date: DateRef | None = None
    interval_total: int | None = None
    infinite: bool
    current_billing_date_period_start: DateRef | None = None
    current_billing_date_period_end: DateRef | None = None
    failed_attempts: int
    prorate_amount: float | None = None
    cancelled: DateRef | None = None
    created: DateRef
    modified: DateRef
    deleted: bool

    @classmethod
    def of(cls, s: Subscription, now: datetime, viewer: str) -> SubscriptionDocument:
        """`viewer`: the caller's user id; the payment method's id is shown to its owner only
        (as GET /payment_methods/{id} answers only them)."""
        start = end = None
        if s.starting_date is not None and s.status in LIVE_STATUSES:
            n = s.period_at(now)
            start, end = s.start_of(n), s.end_of(n)
        ending = s.stop_date or s.ending_date
        return cls.model_validate(
            {
                "_id": object_ref(s.id),
                "plan": object_ref(s.plan_id),
                "user": object_ref(s.user_id),
                "company": object_ref(s.company_id),
                "method": s.method,
                "note": s.note,
                "prorate": s.prorate,
                "status": s.status,
                "amount": major(s.amount, s.currency),
                "currency": s.currency,
                "billing_interval": s.billing_interval,
                "payment_method": object_ref(s.payment_method_id)
                if s.payment_method_id and viewer == s.user_id
                else None,
                "starting_date": date_ref(s.starting_date),
                "ending_date": date_ref(ending),
                "interval_total": s.interval_total,
                "infinite": s.infinite,
                "current_billing_date_period_start": date_ref(start),
                "current_billing_date_period_end": date_ref(end),
                "failed_attempts": s.failed_attempts,
                "prorate_amount": major(s.prorate_amount, s.currency),
                "cancelled": date_ref(s.cancelled_at),
                "created": date_ref(s.created),
                "modified": date_ref(s.modified),
                "deleted": s.deleted,
            }
        )


class PaymentDocument(Document):
    id: ObjectRef = Field(alias="_id", serialization_alias="_id")
    user: ObjectRef
    company: ObjectRef
    amount: float
    currency: str
    subject: ObjectRef
    subject_type: str
    payment_method: ObjectRef | None = None
    current_state: PaymentState
    status_code: str | None = None
    error_message: str | None = None
    created: DateRef
    modified: DateRef

    @classmethod
    def of(cls, p: Payment, viewer: str) -> PaymentDocument:
        """The payment method's id is shown to its owner only."""
        return cls.model_validate(
            {
                "_id": object_ref(p.id),
                "user": object_ref(p.user_id),
                "company": object_ref(p.company_id),
                "amount": major(p.amount, p.currency),
                "currency": p.currency,
                "subject": object_ref(p.subject_id),
                "subject_type": p.subject_kind,
                "payment_method": object_ref(p.payment_method_id)
                if p.payment_method_id and viewer == p.user_id
                else None,
                "current_state": p.current_state,
                "status_code": p.status_code,
                "error_message": p.error_message,
                "created": date_ref(p.created),
                "modified": date_ref(p.modified),
            }
        )


class InvoiceDocument(Document):
    id: ObjectRef = Field(alias="_id", serialization_alias="_id")
    subscription: ObjectRef | None = None
    orders: list[ObjectRef] | None = None
    user: ObjectRef
    company: ObjectRef
    amount: float
    currency: str
    period_start: DateRef
    period_end: DateRef
    due_date: DateRef
    status: InvoiceStatus
    refunded_amount: float | None = None
    payments: list[ObjectRef]
    created: DateRef
    modified: DateRef

    @classmethod
    def of(cls, i: Invoice) -> InvoiceDocument:
        return cls.model_validate(
            {
                "_id": object_ref(i.id),
                "subscription": object_ref(i.subscription_id) if i.subscription_id else None,
                "orders": [object_ref(o) for o in i.order_ids] if i.order_ids is not None else None,
                "user": object_ref(i.user_id),
                "company": object_ref(i.company_id),
                "amount": major(i.amount, i.currency),
                "currency": i.currency,
                "period_start": date_ref(i.period_start),
                "period_end": date_ref(i.period_end),
                "due_date": date_ref(i.due_date),
                "status": i.status,
                "refunded_amount": major(i.refunded_amount, i.currency) if i.refunded_amount else None,
                "payments": [object_ref(p) for p in i.payment_ids],
                "created": date_ref(i.created),
                "modified": date_ref(i.modified),
            }
        )


# --- orders -----------------------------------------------------------------------------------


class OrderStatus(StrEnum):
    CREATED = "created"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    AWAITING_PAYMENT = "awaiting_payment"


class OrderItem(BaseModel):
    product_id: str
    quantity: int
    unit_amount: int
    discount: str = "0"


class Order(Entity):
    entity_type: ClassVar[str] = "order"

    id: str
    occurrence: str = Field(description="The order due occurrence it was made from (plan, recurring day, index)")
    plan_id: str
    company_id: str
    user_id: str
    email: str | None = None
    name: str | None = None
    items: list[OrderItem] = Field(default_factory=list)
    amount: int
    currency: str
    due: UtcInstant
    billing_interval: str
    status: OrderStatus = OrderStatus.CREATED
    bill_at: UtcInstant | None = Field(default=None, description="Periodic billing: the end of its period")
    period_start: UtcInstant | None = None
    invoice_id: str | None = None
    payment_id: str | None = None
    created: UtcInstant
    modified: UtcInstant

    def keys(self) -> Key:
        return keys.order(self.id)

    def index_keys(self) -> dict[str, str]:
        found = {
            "GSI1PK": keys.user_orders_index(self.company_id, self.user_id),
            "GSI1SK": f"{iso_ms(self.due)}#{self.id}",
        }
        if self.bill_at is not None and self.invoice_id is None:
            found["GSI2PK"] = keys.orders_to_bill_index(shard_of(self.plan_id))
            found["GSI2SK"] = keys.due_order(f"{iso_ms(self.bill_at)}#{self.plan_id}", self.id)
        return found


class OrderItemDocument(BaseModel):
    product: ObjectRef
    quantity: int
    unit_price: float
    discount: float


class OrderDocument(Document):
    id: ObjectRef = Field(alias="_id", serialization_alias="_id")
    plan: ObjectRef
    user: ObjectRef
    company: ObjectRef
    items: list[OrderItemDocument]
    amount: float
    currency: str
    due: DateRef
    status: OrderStatus
    invoice: ObjectRef | None = None
    payment: ObjectRef | None = None
    created: DateRef
    modified: DateRef

    @classmethod
    def of(cls, o: Order) -> OrderDocument:
        return cls.model_validate(
            {
                "_id": object_ref(o.id),
                "plan": object_ref(o.plan_id),
                "user": object_ref(o.user_id),
                "company": object_ref(o.company_id),
                "items": [
                    {
                        "product": object_ref(i.product_id),
                        "quantity": i.quantity,
                        "unit_price": major(i.unit_amount, o.currency),
                        "discount": float(i.discount),
                    }
                    for i in o.items
                ],
                "amount": major(o.amount, o.currency),
                "currency": o.currency,
                "due": date_ref(o.due),
                "status": o.status,
                "invoice": object_ref(o.invoice_id) if o.invoice_id else None,
                "payment": object_ref(o.payment_id) if o.payment_id else None,
                "created": date_ref(o.created),
                "modified": date_ref(o.modified),
            }
        )
