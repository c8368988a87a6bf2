"""Plans (docs/product.md "Plans"): what the assign routes accept, what is stored, what GET answers.

A plan assigns one learning object to one user in a portal. A group assignment is stored
under the same id space (`keys.plan(id)`, entity `group_plan`), so the id the group route
answers can be read back with `GET /enrolment/plan/{planId}` like any other plan.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from planhub.id_rules import ID_MAX_LENGTH, ID_PATTERN
from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key

MAX_NOTE_LENGTH = 255
REASSIGN_VERSION = 2
NOT_ASSIGNABLE = "Assignment is not supported for this LO"

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]


class PlanStatus(IntEnum):
    """PlanStatuses of the seed; a plan is created ASSIGNED, and that is the only status accepted."""

    ASSIGNED = 1


def utc_instant(value: datetime) -> datetime:
    """A due date as stored: UTC, whole seconds (a naive time is read as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)


def iso(value: datetime) -> str:
    """Fixed-width ISO 8601 UTC text: sorts as it orders in time (the due index relies on it)."""
    return utc_instant(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_8601_text(value: Any) -> Any:
    # pydantic would read a number as a Unix time; the seed's DATETIME is ISO 8601 text.
    if not isinstance(value, (str, datetime)):
        raise ValueError("must be an ISO 8601 datetime")
    return value


DueDate = Annotated[datetime, BeforeValidator(_iso_8601_text), AfterValidator(utc_instant)]


# --- request bodies ---------------------------------------------------------------------


class Body(BaseModel):
    """Request bodies refuse unknown fields: a typo is a 400, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PlanData(Body):
    note: Annotated[str, StringConstraints(max_length=MAX_NOTE_LENGTH)] | None = None


class AssignToUserBody(Body):
    status: Literal[1] = Field(description="PlanStatuses::ASSIGNED; the only value accepted")
    due_date: DueDate | None = Field(default=None, description="ISO 8601; required when version is 2")
    notify: bool = Field(default=True, description="Send the assignment email")
    data: PlanData | None = None
    version: Literal[0, 2] = Field(default=0, description="0: keep an existing assignment; 2: re-assign")
    source_type: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="Staff only: where the assignment comes from, e.g. group"
    )
    source_id: int | None = Field(default=None, description="Staff only: the id of that source")
    assigner_id: int | Identifier | None = Field(default=None, description="Staff only: who assigns")

    @model_validator(mode="after")
    def _due_date_required_to_reassign(self) -> AssignToUserBody:
        if self.version == REASSIGN_VERSION and self.due_date is None:
            raise ValueError("due_date: required when version is 2")
        return self

    @property
    def staff_only_fields(self) -> list[str]:
        return [name for name in ("source_type", "source_id", "assigner_id") if getattr(self, name) is not None]

    @property
    def note(self) -> str | None:
        return self.data.note if self.data else None


class AssignToGroupBody(Body):
    status: Literal[1] = Field(description="PlanStatuses::ASSIGNED; the only value accepted")
    due_date: DueDate | None = Field(default=None, description="ISO 8601")
    notify: bool = Field(default=True, description="Send each member the assignment email")
    exclude_self: bool | None = Field(default=None, description="Leave the caller out of the assignment")
    data: PlanData | None = None

    @property
    def note(self) -> str | None:
        return self.data.note if self.data else None


MAX_USERS_PER_REQUEST = 500


def _distinct(user_ids: list[str]) -> list[str]:
    if len(set(user_ids)) != len(user_ids):
        raise ValueError("each user may appear once")
    return user_ids


class AssignToUsersBody(Body):
    """POST /enrolment/plan/{instance}/{loId}/users: the user route's body for many users at once."""

    user_ids: Annotated[
        list[Identifier], Field(min_length=1, max_length=MAX_USERS_PER_REQUEST), AfterValidator(_distinct)
    ] = Field(description="At most 500 distinct user ids (`self` is the caller)")
    status: Literal[1] = Field(description="PlanStatuses::ASSIGNED; the only value accepted")
    due_date: DueDate | None = Field(default=None, description="ISO 8601; required when version is 2")
    notify: bool = Field(default=True, description="Send each user the assignment email")
    data: PlanData | None = None
    version: Literal[0, 2] = Field(default=0, description="0: keep an existing assignment; 2: re-assign")

    @model_validator(mode="after")
    def _due_date_required_to_reassign(self) -> AssignToUsersBody:
        if self.version == REASSIGN_VERSION and self.due_date is None:
            raise ValueError("due_date: required when version is 2")
        return self

    @property
    def note(self) -> str | None:
        return self.data.note if self.data else None


class DueDateChange(Body):
    """PATCH /enrolment/plan/{planId}: a new due date, or null to clear it."""

    due_date: DueDate | None = Field(description="ISO 8601, or null: the plan has no due date any more")
    notify: bool = Field(default=True, description="Send the user the `plan due date changed` email")


# --- stored records -----------------------------------------------------------------------


class Plan(Entity):
    """One user's assignment of one LO (docs/architecture.md's contract names its attributes).

    While it is active, has a due date and its overdue notice is not sent, it is on GSI2
    under the day it falls due, where the daily notice run finds it.
    """

    entity_type: ClassVar[str] = "plan"

    id: int
    portal_id: str
    user_id: str
    lo_id: str
    status: PlanStatus = PlanStatus.ASSIGNED
    due_date: AwareDatetime | None = None
    notify: bool = True
    note: str | None = None
    assigner_id: str
    source_type: str | None = None
    source_id: int | None = None
    enrolment_id: int | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    archived: bool = False
    archived_at: AwareDatetime | None = None
    archived_by: str | None = None
    reminded_at: AwareDatetime | None = None
    overdue_notified_at: AwareDatetime | None = None
    # The due date each notice was sent for: a plan whose date moves hears again. (Absent on
    # plans noticed before notices followed the date: the notice then counts for the current one.)
    reminded_due: AwareDatetime | None = None
    overdue_notified_due: AwareDatetime | None = None

    def keys(self) -> Key:
        return keys.plan(self.id)

    def index_keys(self) -> dict[str, str]:
        listed = listing_index_keys(
            self.portal_id, self.user_id, self.lo_id, self.id, self.due_date, archived=self.archived
        )
        if self.due_date is None or self.archived or self.overdue_sent_for_due_date:
            return listed
        return {**listed, **due_index_keys(self.id, self.due_date, self.updated_at)}

    @property
    def reminded_for_due_date(self) -> bool:
        return self.reminded_at is not None and self.reminded_due in (None, self.due_date)

    @property
    def overdue_sent_for_due_date(self) -> bool:
        return self.overdue_notified_at is not None and self.overdue_notified_due in (None, self.due_date)


def listing_index_keys(
    portal_id: str, user_id: str, lo_id: str, plan_id: int, due_date: datetime | None, *, archived: bool
) -> dict[str, str]:
    """GSI1 (the user's plans) and GSI3 (the user's plans of the LO): active and archived plans
    in partitions of their own, each ordered by due date (none last). Archiving moves a plan by
    its partition keys alone; a due date change moves it by its sort keys alone."""
    order = keys.user_plans_order(iso(due_date) if due_date else None, plan_id)
    return {
        "GSI1PK": keys.user_plans_index(portal_id, user_id, archived=archived),
        "GSI1SK": order,
        "GSI3PK": keys.user_lo_plans_index(portal_id, user_id, lo_id, archived=archived),
        "GSI3SK": order,
    }


def due_index_keys(plan_id: int, due_date: datetime, written_at: datetime) -> dict[str, str]:
    """GSI2 attributes of a plan due at `due_date`.

    The partition is the due day, but never a day before the write: a plan assigned with a
    due date long past lands on today's partition, which the next daily run reads.
    """
    day = max(utc_instant(due_date), utc_instant(written_at)).strftime("%Y-%m-%d")
    return {"GSI2PK": keys.plan_due_index(day), "GSI2SK": keys.plan_due_order(iso(due_date), plan_id)}


class GroupPlan(Entity):
    """A group's assignment of an LO; members' plans are created from it asynchronously."""

    entity_type: ClassVar[str] = "group_plan"

    id: int
    portal_id: str
    group_id: str
    lo_id: str
    status: PlanStatus = PlanStatus.ASSIGNED
    due_date: AwareDatetime | None = None
    notify: bool = True
    note: str | None = None
    assigner_id: str
    excluded_user_id: str | None = None
    created_at: AwareDatetime

    def keys(self) -> Key:
        return keys.plan(self.id)


class GroupActivePlan(Entity):
    """The group assignment of one LO that members joining the group later receive (the latest wins)."""

    entity_type: ClassVar[str] = "group_active_plan"

    group_plan_id: int
    portal_id: str
    group_id: str
    lo_id: str

    def keys(self) -> Key:
        return keys.group_active_plan(self.portal_id, self.group_id, self.lo_id)


def active_plan_ref(plan: Plan) -> dict[str, Any]:
    """The item that makes `plan` the user's one active plan of its LO."""
    return {**keys.active_plan(plan.portal_id, plan.user_id, plan.lo_id), "entity": "active_plan", "plan_id": plan.id}


# --- answers ------------------------------------------------------------------------------


class PlanCreated(BaseModel):
    """The seed's result: the plan id, a positive integer written as a string."""

    id: str = Field(examples=["10"])


# {userId: {status code: {"id": plan id} or {"message": ...}}}, as the many-LO enrolments answer.
UserOutcomes = dict[str, dict[str, dict[str, str]]]


class NoteView(BaseModel):
    note: str | None = None


class PlanView(BaseModel):
    """A plan as GET answers it; `type` tells a user's plan from a group assignment."""

    id: str
    type: Literal["user", "group"]
    portal_id: str
    lo_id: str
    user_id: str | None = None
    group_id: str | None = None
    status: int
    due_date: datetime | None = None
    notify: bool
    data: NoteView
    assigner_id: str
    source_type: str | None = None
    source_id: int | None = None
    enrolment_id: int | None = None
    exclude_self: bool | None = None
    created_at: datetime
    updated_at: datetime
    archived: bool
    archived_at: datetime | None = None
    archived_by: str | None = None

    @classmethod
    def of_plan(cls, plan: Plan) -> PlanView:
        return cls(
            id=str(plan.id),
            type="user",
            portal_id=plan.portal_id,
            lo_id=plan.lo_id,
            user_id=plan.user_id,
            status=int(plan.status),
            due_date=plan.due_date,
            notify=plan.notify,
            data=NoteView(note=plan.note),
            assigner_id=plan.assigner_id,
            source_type=plan.source_type,
            source_id=plan.source_id,
            enrolment_id=plan.enrolment_id,
            created_at=plan.created_at,
            updated_at=plan.updated_at,
            archived=plan.archived,
            archived_at=plan.archived_at,
            archived_by=plan.archived_by,
        )

    @classmethod
    def of_group_plan(cls, plan: GroupPlan) -> PlanView:
        return cls(
            id=str(plan.id),
            type="group",
            portal_id=plan.portal_id,
            lo_id=plan.lo_id,
            group_id=plan.group_id,
            status=int(plan.status),
            due_date=plan.due_date,
            notify=plan.notify,
            data=NoteView(note=plan.note),
            assigner_id=plan.assigner_id,
            exclude_self=plan.excluded_user_id is not None,
            created_at=plan.created_at,
            updated_at=plan.created_at,
            archived=False,
        )


class PlanPage(BaseModel):
    """One page of a user's plans: active ones due soonest first (none last), then archived ones."""

    data: list[PlanView]
    cursor: str | None = Field(default=None, description="Pass back as `cursor` for the next page; null at the end")


class GroupAssignmentProgress(BaseModel):
    """How far a group assignment's fan-out has got: each member counted once, by their outcome."""

    id: str
    group_id: str
    lo_id: str
    members: int = Field(description="Members the assignment reached so far (the caller too when excluded)")
    assigned: int = Field(description="Members given a new plan by this assignment")
    skipped: int = Field(description="Members already assigned the LO, excluded (exclude_self) or unassigned since")
    failed: int = Field(description="Members whose plan could not be written (or who are not users of the portal)")
    done: bool = Field(description="Every member has an outcome (a retry may still turn a failure into assigned)")
