"""Subscription plans: what a request may send, what is stored, and what an answer shows.

Requests and answers keep the seed's names and shapes: ids and references as
`{"$oid": ...}`, times as `{"$date": <epoch ms>}`, `total_amount` as a number in major
units. What is stored counts money in integer minor units and times as ISO 8601 UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
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
    model_serializer,
    model_validator,
)

from planhub.extended_json import DateRef, ObjectRef, date_ref, object_ref
from planhub.id_rules import ID_MAX_LENGTH, ID_PATTERN
from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key
from planhub.subscriptions import pricing
from planhub.subscriptions.currency import MINOR_UNITS, UnknownCurrency, is_exact, minor_units, to_major
from planhub.subscriptions.recurrence import RecurrenceUnit, zone_named

MAX_ITEMS = 100  # one BatchGetItem reads every product of a plan
MAX_RECURRING_DAYS = 50  # one transaction holds the plan, its listing items and its events
MAX_AMOUNT = Decimal(1_000_000_000_000)
DEFAULT_RECURRING_NAME = "RECURRING_ORDER_PLAN"


# --- times --------------------------------------------------------------------------------


def iso_ms(moment: datetime) -> str:
    """A fixed-width UTC instant, `2024-05-01T10:42:00.000Z`: its text order is its time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms_precision(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


UtcInstant = Annotated[datetime, PlainSerializer(iso_ms, return_type=str, when_used="json")]


# --- enumerations (exactly the seed's) -----------------------------------------------------


class PlanMethod(StrEnum):
    BASIC = "basic"
    RECURRING_ORDER = "recurring_order"


class IntervalUnit(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    MONTH_END = "MONTH_END"
    ANNUAL = "ANNUAL"


class BillingInterval(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"
    MONTH_END = "MONTH_END"
    PER_ORDER = "PER_ORDER"


class FailAmountAction(StrEnum):
    CANCEL = "CANCEL"
    CONTINUE = "CONTINUE"


RECURRING_INTERVAL_UNITS = frozenset({IntervalUnit.DAY, IntervalUnit.WEEK, IntervalUnit.MONTH})


# --- request bodies -----------------------------------------------------------------------


def _false_means_not_given(value: Any) -> Any:
    """The seed sends `false` for "not given" (`"interval_count": false`); `true` means nothing."""
    if value is False:
        return None
    if value is True:
        raise ValueError("true is not a value here: send a number, or false (or nothing) for none")
    return value


def _no_booleans(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


ProductRef = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(max_length=2000)]
Fraction = Annotated[Decimal, BeforeValidator(_no_booleans), Field(ge=0, le=1, allow_inf_nan=False)]
Amount = Annotated[Decimal, BeforeValidator(_no_booleans), Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
AmountOrFalse = Annotated[Amount | None, BeforeValidator(_false_means_not_given)]
CountOrFalse = Annotated[Annotated[StrictInt, Field(ge=1, le=10_000)] | None, BeforeValidator(_false_means_not_given)]
FailAttempts = Annotated[StrictInt, Field(ge=0, le=1000)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Body(BaseModel):
    """Request bodies refuse unknown fields: a typo is a 400 naming it, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class PlanItemBody(Body):
    product: ProductRef
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000)] = 1
    discount: Fraction = Decimal(0)


class RecurringDayBody(Body):
    day: Annotated[StrictInt, Field(ge=0, le=31)] | None = Field(
        default=None, description="WEEK: 0 (Monday) to 6 (Sunday); MONTH: 1 to 31 (31 = last day); DAY: not used"
    )
    hour: Annotated[StrictInt, Field(ge=0, le=23)]
    minute: Annotated[StrictInt, Field(ge=0, le=59)] = 0


class PlanBody(Body):
    """`POST /plans`: a basic plan, or (with `method: recurring_order`) a recurring order plan."""

    method: PlanMethod = PlanMethod.BASIC
    name: Name | None = None
    note: Note = ""
    interval_unit: IntervalUnit
    interval_count: CountOrFalse = None
    billing_interval: BillingInterval
    static: StrictBool = False
    static_plan: StrictBool | None = Field(default=None, description="The seed's prose name for `static`")
    items: Annotated[list[PlanItemBody], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    units: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)] | None = None
    currency: CurrencyCode
    total_amount: AmountOrFalse = None
    discount: Fraction = Decimal(0)
    initial_fail_amount_action: FailAmountAction = FailAmountAction.CANCEL
    max_fail_attempts: FailAttempts = 0
    prorate: StrictBool = False
    auto_bill_amount: StrictBool = False
    active: StrictBool = True
    recurring_days: Annotated[list[RecurringDayBody], Field(max_length=MAX_RECURRING_DAYS)] | None = None
    timezone: TimeZoneName | None = Field(default=None, description="IANA zone of the recurring days (default UTC)")

    @model_validator(mode="after")
    def _rules(self) -> PlanBody:
        problem = next((p for p in (rule(self) for rule in _PLAN_RULES) if p), None)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def is_static(self) -> bool:
        return self.static or bool(self.static_plan)

    @property
    def plan_name(self) -> str:
        return self.name or DEFAULT_RECURRING_NAME


def _currency_rule(body: PlanBody) -> str | None:
    try:
        minor_units(body.currency)
    except UnknownCurrency as error:
        return f"currency: {error}"
    return None


def _static_rule(body: PlanBody) -> str | None:
    if body.static_plan is not None and "static" in body.model_fields_set and body.static_plan != body.static:
        return "static_plan: contradicts static (static_plan is another name for static)"
    return None


def _amount_rule(body: PlanBody) -> str | None:
    if body.total_amount is None:
        if not body.items:
            return "total_amount: required when the plan has no items to sum"
        return None
    if body.currency in MINOR_UNITS and not is_exact(body.total_amount, body.currency):
        return f"total_amount: {body.currency} counts at most {minor_units(body.currency)} decimals"
    return None


def _basic_rule(body: PlanBody) -> str | None:
    if body.method is not PlanMethod.BASIC:
        return None
    if body.name is None:
        return "name: required for a basic plan"
    if body.billing_interval is BillingInterval.PER_ORDER:
        return "billing_interval: PER_ORDER is for recurring order plans; choose WEEK, MONTH or MONTH_END"
    if body.recurring_days is not None:
        return "recurring_days: only a recurring order plan has recurring days"
    if body.timezone is not None:
        return "timezone: only a recurring order plan has a time zone"
    return None


def _recurring_rule(body: PlanBody) -> str | None:
    if body.method is not PlanMethod.RECURRING_ORDER:
        return None
    if body.interval_unit not in RECURRING_INTERVAL_UNITS:
        return "interval_unit: a recurring order plan repeats by DAY, WEEK or MONTH"
    if not body.recurring_days:
        return "recurring_days: a recurring order plan needs at least one recurring day"
    if body.timezone is not None:
        try:
            zone_named(body.timezone)
        except ValueError as error:
            return f"timezone: {error}"
    return _recurring_days_rule(body.interval_unit, body.recurring_days)


def _recurring_days_rule(unit: IntervalUnit, days: list[RecurringDayBody]) -> str | None:
    seen: set[tuple[int, int, int]] = set()
    for index, entry in enumerate(days):
        where = f"recurring_days[{index}].day"
        if unit is IntervalUnit.WEEK and (entry.day is None or not 0 <= entry.day <= 6):
            return f"{where}: for WEEK, 0 (Monday) to 6 (Sunday)"
        if unit is IntervalUnit.MONTH and (entry.day is None or not 1 <= entry.day <= 31):
            return f"{where}: for MONTH, a day of the month 1 to 31 (29-31 fall on the last day of shorter months)"
        if unit is IntervalUnit.DAY and entry.day not in (None, 0):
            return f"{where}: a DAY plan recurs every day; leave day out (or 0)"
        moment = (entry.day or 0, entry.hour, entry.minute)
        if moment in seen:
            return f"recurring_days[{index}]: repeats an earlier recurring day"
        seen.add(moment)
    return None


_PLAN_RULES: tuple[Callable[[PlanBody], str | None], ...] = (
    _currency_rule,
    _static_rule,
    _basic_rule,
    _recurring_rule,
    _amount_rule,
)

UPDATABLE_FIELDS = (
    "active",
    "name",
    "note",
    "initial_fail_amount_action",
    "max_fail_attempts",
    "discount",
    "total_amount",
)


class PlanUpdateBody(Body):
    """`PUT /plans/{plan_id}`: only these fields; any other is refused by name.

    `total_amount: false` (or null) goes back to the sum of the items.
    """

    active: StrictBool | None = None
    name: Name | None = None
    note: Note | None = None
    initial_fail_amount_action: FailAmountAction | None = None
    max_fail_attempts: FailAttempts | None = None
    discount: Fraction | None = None
    total_amount: AmountOrFalse = None

    @model_validator(mode="after")
    def _something_to_change(self) -> PlanUpdateBody:
        if not self.model_fields_set:
            raise ValueError(f"nothing to update: send one or more of {', '.join(UPDATABLE_FIELDS)}")
        for name in self.model_fields_set - {"total_amount"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: must not be null")
        return self


# --- what is stored -------------------------------------------------------------------------


class PlanItem(BaseModel):
    product_id: str
    quantity: int
    discount: Decimal
    unit_amount: int = Field(description="The product's price in minor units when the plan was made")


class RecurringDay(BaseModel):
    """One recurring day and where its schedule stands: occurrence n is computed from
    `anchor` (the local date of occurrence 0) and n; `next_index` is the next to publish."""

    day: int
    hour: int
    minute: int
    anchor: date
    starting_day: UtcInstant
    next_index: int = 0
    next_day: UtcInstant


class SubscriptionPlan(Entity):
    entity_type: ClassVar[str] = "subscription_plan"

    id: str
    company_id: str
    method: PlanMethod
    user_id: str | None = None
    user_email: str | None = Field(default=None, description="A recurring order plan's owner: where order emails go")
    user_name: str | None = None
    name: str
    note: str = ""
    status: str = "CREATED"
    interval_unit: IntervalUnit
    interval_count: int | None = None
    billing_interval: BillingInterval
    static: bool = False
    items: list[PlanItem] = Field(default_factory=list)
    units: int
    currency: str
    total_amount: int = Field(description="Minor units, before the plan's discount")
    total_amount_given: bool = Field(description="False when total_amount is the sum of the items")
    discount: Decimal = Decimal(0)
    initial_fail_amount_action: FailAmountAction = FailAmountAction.CANCEL
    max_fail_attempts: int = 0
    prorate: bool = False
    auto_bill_amount: bool = False
    active: bool = True
    deleted: bool = False
    timezone: str | None = None
    recurring_days: list[RecurringDay] | None = None
    due_at: UtcInstant | None = Field(default=None, description="The earliest next_day while orders are scheduled")
    created: UtcInstant
    updated: UtcInstant
    version: int = Field(description="Bumped by every change; each change requires the version it read")

    def keys(self) -> Key:
        return keys.subscription_plan(self.id)

    def to_item(self) -> dict[str, Any]:
        # Attributes at their default are left out (from_item restores them): lists read
        # plans in batches, and a smaller item costs fewer read and write units.
        item: dict[str, Any] = self.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        item.update(self.keys())
        item.update(self.index_keys())
        item["entity"] = self.entity_type
        return item

    def index_keys(self) -> dict[str, str]:
        if self.due_at is None:
            return {}
        return {
            "GSI2PK": keys.order_due_index(order_due_shard(self.id)),
            "GSI2SK": keys.order_due_order(iso_ms(self.due_at), self.id),
        }

    @property
    def is_recurring(self) -> bool:
        return self.method is PlanMethod.RECURRING_ORDER

    @property
    def amount_per_interval(self) -> int:
        return pricing.after_discount(self.total_amount, self.discount)

    @property
    def recurrence_unit(self) -> RecurrenceUnit:
        return RecurrenceUnit(self.interval_unit.value)


def order_due_shard(plan_id: str) -> int:
    """Spreads due plans over the index's partitions (an ObjectId's last byte is a counter)."""
    return int(plan_id[-2:], 16) % keys.ORDER_DUE_SHARDS if len(plan_id) >= 2 else 0


# --- answers (the seed's extended JSON) --------------------------------------------------------


class PlanItemDocument(BaseModel):
    discount: float
    product: ObjectRef
    quantity: int


class RecurringDayDocument(BaseModel):
    day: int
    hour: int
    minute: int
    starting_day: DateRef
    next_day: DateRef


class PlanDocument(BaseModel):
    """A plan as the seed answers it, plus `amount_per_interval` (total after `discount`),
    `units`, `active`, `method`, and for recurring order plans `user` and `timezone`.
    Absent values are left out rather than shown as null."""

    model_config = ConfigDict(populate_by_name=True)

    id: ObjectRef = Field(alias="_id", serialization_alias="_id")
    created: DateRef
    updated: DateRef
    method: PlanMethod
    name: str
    note: str
    status: str
    interval_unit: IntervalUnit
    interval_count: int | None = None
    billing_interval: BillingInterval
    static: bool
    items: list[PlanItemDocument]
    units: int
    currency: str
    total_amount: float = Field(description="Major units; the sum of the items unless given")
    discount: float
    amount_per_interval: float = Field(description="Major units: total_amount less discount, charged per interval")
    auto_bill_amount: bool
    initial_fail_amount_action: FailAmountAction
    max_fail_attempts: int
    prorate: bool
    active: bool
    deleted: bool
    company: ObjectRef
    user: ObjectRef | None = None
    timezone: str | None = None
    recurring_days: list[RecurringDayDocument] | None = None

    @model_serializer(mode="wrap")
    def _leave_out_absent(self, serialize: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        return {name: value for name, value in serialize(self).items() if value is not None}

    @classmethod
    def of(cls, plan: SubscriptionPlan) -> PlanDocument:
        def major(minor: int) -> float:
            return float(to_major(minor, plan.currency))  # display only: computed in minor units

        return cls.model_validate(
            {
                "_id": object_ref(plan.id),
                "created": date_ref(plan.created),
                "updated": date_ref(plan.updated),
                "method": plan.method,
                "name": plan.name,
                "note": plan.note,
                "status": plan.status,
                "interval_unit": plan.interval_unit,
                "interval_count": plan.interval_count,
                "billing_interval": plan.billing_interval,
                "static": plan.static,
                "items": [
                    PlanItemDocument(discount=float(i.discount), product=object_ref(i.product_id), quantity=i.quantity)
                    for i in plan.items
                ],
                "units": plan.units,
                "currency": plan.currency,
                "total_amount": major(plan.total_amount),
                "discount": float(plan.discount),
                "amount_per_interval": major(plan.amount_per_interval),
                "auto_bill_amount": plan.auto_bill_amount,
                "initial_fail_amount_action": plan.initial_fail_amount_action,
                "max_fail_attempts": plan.max_fail_attempts,
                "prorate": plan.prorate,
                "active": plan.active,
                "deleted": plan.deleted,
                "company": object_ref(plan.company_id),
                "user": object_ref(plan.user_id) if plan.user_id else None,
                "timezone": plan.timezone,
                "recurring_days": None
                if plan.recurring_days is None
                else [
                    RecurringDayDocument(
                        day=d.day,
                        hour=d.hour,
                        minute=d.minute,
                        starting_day=date_ref(d.starting_day),
                        next_day=date_ref(d.next_day),
                    )
                    for d in plan.recurring_days
                ],
            }
        )
