"""Plan plays (docs/product.md "Plan plays", seeds/plan-plays-api.md): a user's play-through of a plan's
lessons, tracked by a commercial API client. Field names are the seed's (camelCase).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key

MAX_LESSONS = 500  # three lesson lists of this size stay well inside DynamoDB's 400 KB item
MAX_TOTAL_LESSONS_COMPLETED = 1_000_000_000  # a count, replays included; far below what DynamoDB stores

Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat a lesson")
    return values


LessonIds = Annotated[list[Reference], AfterValidator(_unique), Field(max_length=MAX_LESSONS)]


class PlanPlayStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    COMPLETED = "completed"


StatusInput = Literal["in_progress", "paused", "completed", "ended"]
"""What a caller may send: `ended` is a synonym of `completed`."""


def status_from_input(value: str) -> PlanPlayStatus:
    return PlanPlayStatus.COMPLETED if value == "ended" else PlanPlayStatus(value)


def timestamp(moment: datetime) -> str:
    """How times are stored and answered: ISO 8601 in UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PlanPlayCreateBody(BaseModel):
    """The seed's create request. Unknown fields are refused: a typo is a 400."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    planId: Reference
    userId: Reference | None = Field(default=None, description="Defaults to the caller; others need staff")
    plannedLessons: LessonIds = Field(default_factory=list)
    email: Email | None = None
    displayName: Text | None = None
    photoURL: Url | None = None
    assignmentSource: Label | None = None
    riskLevel: Label | None = None


class PlanPlayUpdateBody(BaseModel):
    """The updatable fields. Only types are checked here: every rule that compares values
    (with each other or with the stored plan play) is checked by `PlanPlay.problems_with`,
    so that a 400 lists every problem at once."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: StatusInput | None = None
    # Ranges are stated in the schema and checked by `PlanPlay.problems_with`, with every other problem.
    currentLessonIndex: int | None = Field(
        default=None,
        description="Within plannedLessons",
        json_schema_extra={"minimum": 0, "maximum": MAX_LESSONS - 1},
    )
    completedLessons: Annotated[list[Reference], Field(max_length=MAX_LESSONS)] | None = None
    completedLessonPlays: Annotated[list[Reference], Field(max_length=MAX_LESSONS)] | None = None
    totalLessonsCompleted: int | None = Field(
        default=None, json_schema_extra={"minimum": 0, "maximum": MAX_TOTAL_LESSONS_COMPLETED}
    )
    completedAt: AwareDatetime | None = None
    lastPlayedAt: AwareDatetime | None = None

    def given(self) -> dict[str, Any]:
        """The fields the caller sent, with their values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class Problem(BaseModel):
    field: str
    message: str


class PlanPlay(Entity):
    entity_type: ClassVar[str] = "plan_play"

    id: str
    clientId: str
    planId: str
    userId: str
    plannedLessons: list[str] = Field(default_factory=list)
    email: str | None = None
    displayName: str | None = None
    photoURL: str | None = None
    assignmentSource: str | None = None
    riskLevel: str | None = None
    status: PlanPlayStatus = PlanPlayStatus.IN_PROGRESS
    currentLessonIndex: int = 0
    completedLessons: list[str] = Field(default_factory=list)
    completedLessonPlays: list[str] = Field(default_factory=list)
    totalLessonsCompleted: int = 0
    createdAt: str
    updatedAt: str
    completedAt: str | None = None
    lastPlayedAt: str | None = None

    def keys(self) -> Key:
        return keys.plan_play(self.id)

    def index_keys(self) -> dict[str, str]:
        order = keys.plan_play_order(self.createdAt, self.id)
        return {
            "GSI1PK": keys.user_plan_plays_index(self.clientId, self.userId),
            "GSI1SK": order,
            "GSI2PK": keys.client_plan_plays_index(self.clientId),
            "GSI2SK": order,
        }

    @property
    def is_completed(self) -> bool:
        return self.status is PlanPlayStatus.COMPLETED

    def problems_with(self, update: PlanPlayUpdateBody) -> list[Problem]:
        """Every reason `update` cannot apply to this plan play (empty when it can)."""
        given = update.given()
        problems = [Problem(field=f"body.{name}", message="must not be null") for name, v in given.items() if v is None]
        if not given:
            problems.append(Problem(field="body", message="names no field to update"))
        if update.status is not None and self.is_completed:
            wanted = status_from_input(update.status)
            if wanted is not PlanPlayStatus.COMPLETED:
                problems.append(
                    Problem(field="body.status", message=f"a completed plan play cannot go back to {wanted.value}")
                )
        index = update.currentLessonIndex
        if index is not None and not 0 <= index < len(self.plannedLessons):
            within = (
                f"must be within plannedLessons (0 to {len(self.plannedLessons) - 1})"
                if self.plannedLessons
                else "must be within plannedLessons, which is empty"
            )
            problems.append(Problem(field="body.currentLessonIndex", message=within))
        if update.completedLessons is not None:
            planned = set(self.plannedLessons)
            unknown = [lesson for lesson in update.completedLessons if lesson not in planned]
            if unknown:
                problems.append(
                    Problem(field="body.completedLessons", message=f"not in plannedLessons: {', '.join(unknown)}")
                )
            if len(set(update.completedLessons)) != len(update.completedLessons):
                problems.append(Problem(field="body.completedLessons", message="must not repeat a lesson"))
        total = update.totalLessonsCompleted
        if total is not None and total < 0:
            problems.append(Problem(field="body.totalLessonsCompleted", message="must not be negative"))
        elif total is not None and total > MAX_TOTAL_LESSONS_COMPLETED:
            problems.append(
                Problem(field="body.totalLessonsCompleted", message=f"must be at most {MAX_TOTAL_LESSONS_COMPLETED:,}")
            )
        return problems

    def changes_for(self, update: PlanPlayUpdateBody) -> dict[str, Any]:
        """The stored values `update` changes (as stored: statuses and times as strings)."""
        wanted: dict[str, Any] = {}
        for name, value in update.given().items():
            if name == "status":
                wanted[name] = status_from_input(value).value
            elif isinstance(value, datetime):
                wanted[name] = timestamp(value)
            else:
                wanted[name] = value
        current = self.model_dump(mode="json")
        return {name: value for name, value in wanted.items() if current.get(name) != value}

    def completes_with(self, changes: dict[str, Any]) -> bool:
        """True for the first transition into completed: the billable completion."""
        return not self.is_completed and changes.get("status") == PlanPlayStatus.COMPLETED.value


class PlanPlayAnswer(BaseModel):
    data: PlanPlay


class PlanPlayPage(BaseModel):
    data: list[PlanPlay]
    count: int = Field(description="How many plan plays this page holds")
    cursor: str | None = Field(default=None, description="Pass back as `cursor` for the next page; null on the last")
