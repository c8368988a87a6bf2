"""Enrolments (docs/product.md "Enrolments"): what is stored, what the seeds' requests carry, what is answered.

Stored records are entities with their keys; request bodies keep the seeds' field names
(`reEnrol`, `dueDate`, `paymentOptions`, ...); answers are separate models, so that the
storage layout can change without changing the API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
)

from planhub.id_rules import EMAIL_MAX_LENGTH, EMAIL_PATTERN, ID_MAX_LENGTH, ID_PATTERN
from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key

MAX_ITEMS_PER_REQUEST = 50  # each item is its own transaction; this keeps a request well inside the timeout
MAX_DATA_CHARACTERS = 10_000
MAX_NOTE_CHARACTERS = 1_000
NO_PARENT = "0"  # the seeds' PARENT_LO_ID when there is no parent


class EnrolmentStatus(StrEnum):
    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    PENDING = "pending"
    COMPLETED = "completed"
    EXPIRED = "expired"


OPEN_STATUSES = frozenset({EnrolmentStatus.NOT_STARTED, EnrolmentStatus.IN_PROGRESS, EnrolmentStatus.PENDING})

# A create may start an enrolment in any status but `expired` (the create seed's list).
CreatableStatus = Literal["not-started", "in-progress", "pending", "completed"]
DEFAULT_STATUS: CreatableStatus = "in-progress"  # the seed's default when the `/{status}` segment is left out
StudentEmail = Annotated[str, StringConstraints(max_length=EMAIL_MAX_LENGTH, pattern=EMAIL_PATTERN)]


def status_or_student(segment: CreatableStatus | str) -> tuple[CreatableStatus, str | None]:
    """The last segment of `.../enrolment/{statusOrEmail}`: a status (the caller's own
    enrolment), or a student's email (on their behalf, with the default status)."""
    if segment in get_args(CreatableStatus):
        return segment, None  # type: ignore[return-value]  # one of the literal's values
    return DEFAULT_STATUS, segment


# The update seed's table writes `expire`; the stored status is `expired`. Both are accepted.
RequestedStatus = Literal["not-started", "in-progress", "pending", "completed", "expired", "expire"]


def requested_status(value: str) -> EnrolmentStatus:
    return EnrolmentStatus.EXPIRED if value == "expire" else EnrolmentStatus(value)


# --- value types of the requests -------------------------------------------------------


def _text_only(value: Any) -> Any:
    # pydantic would read a number as a Unix time; the seeds promise ISO 8601 text.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


def _as_utc(value: datetime) -> datetime:
    """Storage keeps UTC; a date-time without an offset is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


IsoDateTime = Annotated[datetime, BeforeValidator(_text_only), AfterValidator(_as_utc)]


def _no_bool(value: Any) -> Any:
    if isinstance(value, (bool, str)):
        raise ValueError("must be a number")
    return value


Number = Annotated[float, BeforeValidator(_no_bool), Field(ge=0, le=100, allow_inf_nan=False)]
WholeNumber = Annotated[int, Strict(), Field(ge=0, le=10_000_000)]
PassFlag = Annotated[Literal[0, 1], BeforeValidator(_no_bool)]


def _lo_id_text(value: Any) -> Any:
    # The seeds write LO ids as integers; planhub's are strings, and 111 names the LO "111".
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


LoId = Annotated[
    str, BeforeValidator(_lo_id_text), StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)
]
Flag = Annotated[bool, Field(description="1 or true to ask for it; 0 or false (the default) not to")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=255)]


def _enrolment_data(value: dict[str, Any]) -> dict[str, Any]:
    certificate = value.get("custom_certificate")
    if certificate is not None and not isinstance(certificate, str):
        raise ValueError("custom_certificate must be a string")
    if len(json.dumps(value)) > MAX_DATA_CHARACTERS:
        raise ValueError(f"must be at most {MAX_DATA_CHARACTERS} characters as JSON")
    return value


# The seed's `data` object; `custom_certificate` (a URL) is the one field it names.
DataObject = Annotated[dict[str, Any], AfterValidator(_enrolment_data)]


class Body(BaseModel):
    """Request bodies refuse unknown fields: a typo is a 400, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


# --- payment ---------------------------------------------------------------------------


class PaymentMethod(StrEnum):
    STRIPE = "stripe"
    CREDIT = "credit"


class CreditTokenProduct(Body):
    """What a credit token of the many-LO request pays for: `{"productType": "lo", "productId": 111}`."""

    productType: Literal["lo"]
    productId: LoId


class PaymentOptions(Body):
    token: Text | None = Field(default=None, description="Stripe: a card token; credit: the credit token")
    customer: Text | None = Field(default=None, description="Stripe: a customer id")
    tokens: Annotated[dict[Text, CreditTokenProduct], Field(max_length=MAX_ITEMS_PER_REQUEST)] | None = Field(
        default=None, description="Many-LO requests paying by credit: credit token -> the LO it pays for"
    )


class PaymentFields(Body):
    coupon: Text | None = None
    paymentMethod: PaymentMethod | None = None
    paymentOptions: PaymentOptions | None = None


# --- create ----------------------------------------------------------------------------


class EnrolmentCreateBody(PaymentFields):
    reEnrol: Flag = False
    reCalculate: Flag = False
    dueDate: IsoDateTime | None = None
    startDate: IsoDateTime | None = None
    data: DataObject | None = None
    notify: bool = True


class EnrolmentItem(Body):
    loId: LoId
    parentLoId: LoId = NO_PARENT
    parentEnrolmentId: int | None = Field(default=None, ge=1)
    status: CreatableStatus = DEFAULT_STATUS
    dueDate: IsoDateTime | None = None
    startDate: IsoDateTime | None = None
    data: DataObject | None = None
    reEnrol: Flag = False


def _one_item_per_lo(items: list[EnrolmentItem]) -> list[EnrolmentItem]:
    seen: set[str] = set()
    for item in items:
        if item.loId in seen:
            raise ValueError(f"learning object {item.loId} appears more than once (the answer is keyed by it)")
        seen.add(item.loId)
    return items


class EnrolmentsCreateBody(PaymentFields):
    items: Annotated[
        list[EnrolmentItem], Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST), AfterValidator(_one_item_per_lo)
    ]
    reCalculate: Flag = False
    notify: bool = True


class EnrolmentId(BaseModel):
    id: int


# {loId: {status code: {"id": ...} or {"message": ...}}}, as the create seed shows.
ItemOutcomes = dict[str, dict[str, dict[str, int | str]]]


# --- update ----------------------------------------------------------------------------


class EnrolmentUpdateBody(Body):
    """Every field of the update seed. A field sent as null is cleared (except `status`)."""

    startDate: IsoDateTime | None = None
    endDate: IsoDateTime | None = None
    expectedCompletionDate: IsoDateTime | None = Field(
        default=None, description="Deprecated alias of dueDate", json_schema_extra={"deprecated": True}
    )
    dueDate: IsoDateTime | None = None
    status: RequestedStatus | None = None
    result: Number | None = None
    pass_: PassFlag | None = Field(default=None, alias="pass")
    duration: WholeNumber | None = None
    note: Annotated[str, StringConstraints(max_length=MAX_NOTE_CHARACTERS)] | None = None
    data: DataObject | None = None
    reCalculate: Flag = False


# --- stored records -----------------------------------------------------------------------


class Enrolment(Entity):
    """One enrolment of a user in an LO; the attributes of docs/architecture.md's contract and the seed's fields."""

    entity_type: ClassVar[str] = "enrolment"

    id: int
    portal_id: str
    user_id: str
    lo_id: str
    parent_lo_id: str | None = None
    parent_enrolment_id: int | None = None
    status: EnrolmentStatus
    plan_id: int | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    due_date: datetime | None = None
    result: float | None = None
    passed: int | None = None
    duration: int | None = None
    note: str | None = None
    data: dict[str, Any] | None = None
    archived: bool = False
    archived_at: datetime | None = None
    archived_by: str | None = None
    created_at: datetime
    created_by: str
    updated_at: datetime
    version: int = 1

    def keys(self) -> Key:
        return keys.enrolment(self.id)

    def index_keys(self) -> dict[str, str]:
        """The user's lists: by state, status and LO (GSI1), and by LO (GSI2)."""
        return {
            "GSI1PK": keys.user_enrolments_index(self.portal_id, self.user_id, archived=self.archived),
            "GSI1SK": keys.user_enrolments_order(self.status.value, self.lo_id, self.id),
            "GSI2PK": keys.user_lo_enrolments_index(self.portal_id, self.user_id, self.lo_id),
            "GSI2SK": keys.user_lo_enrolments_order(self.id, archived=self.archived),
        }


class EnrolmentChange(Entity):
    """One status change, kept in the enrolment's partition (from is None for the creation)."""

    entity_type: ClassVar[str] = "enrolment_change"

    enrolment_id: int
    change_id: str
    changed_at: str  # fixed-width UTC text: it orders the history
    changed_by: str | None = None
    from_status: EnrolmentStatus | None = None
    to_status: EnrolmentStatus
    note: str | None = None

    def keys(self) -> Key:
        return keys.enrolment_history(self.enrolment_id, self.changed_at, self.change_id)


class EnrolmentChild(Entity):
    """The parent enrolment's record of its child enrolment of one child LO: roll-up reads these."""

    entity_type: ClassVar[str] = "enrolment_child"

    parent_enrolment_id: int
    lo_id: str
    enrolment_id: int
    status: EnrolmentStatus

    def keys(self) -> Key:
        return keys.enrolment_child(self.parent_enrolment_id, self.lo_id)


# --- answers ---------------------------------------------------------------------------


class EnrolmentView(BaseModel):
    """`GET /enrolment/enrolment/{enrolmentId}`: the enrolment, archived or not."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    portal_id: str
    user_id: str
    lo_id: str
    parent_lo_id: str | None = None
    parent_enrolment_id: int | None = None
    status: EnrolmentStatus
    plan_id: int | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    due_date: datetime | None = None
    result: float | None = None
    pass_: int | None = Field(default=None, alias="pass")
    duration: int | None = None
    note: str | None = None
    data: dict[str, Any] | None = None
    archived: bool
    archived_at: datetime | None = None
    archived_by: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, enrolment: Enrolment) -> EnrolmentView:
        fields = enrolment.model_dump(exclude={"passed", "created_by"})
        return cls.model_validate({**fields, "pass": enrolment.passed})


class EnrolmentChangeView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    changed_at: str
    changed_by: str | None = None
    from_: EnrolmentStatus | None = Field(alias="from")
    to: EnrolmentStatus
    note: str | None = None

    @classmethod
    def of(cls, change: EnrolmentChange) -> EnrolmentChangeView:
        return cls.model_validate(
            {
                "changed_at": change.changed_at,
                "changed_by": change.changed_by,
                "from": change.from_status,
                "to": change.to_status,
                "note": change.note,
            }
        )


class EnrolmentHistoryPage(BaseModel):
    data: list[EnrolmentChangeView]
    cursor: str | None = Field(default=None, description="Pass back as `cursor` for the next page; null at the end")


class EnrolmentPage(BaseModel):
    """`GET /enrolment/{instance}/user/{userId}/enrolments`: one page of a user's enrolments."""

    data: list[EnrolmentView]
    cursor: str | None = Field(default=None, description="Pass back as `cursor` for the next page; null at the end")
