"""Plan play use cases: create, read, list, update (docs/product.md "Plan plays").

A create and the first completion of a plan play are billable: their writes go through the
commercial controls, which add the admission (rate limit, quota, credits) to the same
transaction. Every other change is one transaction of the change and its event.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from planhub import events
from planhub.auth.claims import Claims
from planhub.commercial import BILLING, BillableActivity, Charge, CommercialControls
from planhub.commercial.controls import LimitStatus
from planhub.errors import ConcurrentModification, Conflict, InvalidInput, LimitExceeded, NotFound
from planhub.events import DomainEvent, EventType
from planhub.ids import new_object_id
from planhub.plan_plays import access
from planhub.plan_plays.models import (
    PlanPlay,
    PlanPlayAnswer,
    PlanPlayCreateBody,
    PlanPlayPage,
    PlanPlayStatus,
    PlanPlayUpdateBody,
    StatusInput,
    status_from_input,
    timestamp,
)
from planhub.settings import TableEnvironment
from planhub.storage import Expression, Put, Table, TransactionCanceled, Update, Write, not_exists, races
from planhub.storage import keys as table_keys

NOT_FOUND = "Plan play not found"
MAX_QUERIES_PER_PAGE = 5  # filtered pages are filled up to this many Queries, then handed back with a cursor
MAX_UPDATE_ATTEMPTS = 4


class PlanPlayService:
    def __init__(self, table: Table, controls: CommercialControls | None = None) -> None:
        self.table = table
        self.controls = controls or CommercialControls(table)

    @classmethod
    def from_environment(cls) -> PlanPlayService:
        return cls(Table(TableEnvironment.load().table_name))

    # --- create ---------------------------------------------------------------------

    def create(
        self, claims: Claims, requested_client: str | None, body: PlanPlayCreateBody, idempotency_key: str | None
    ) -> PlanPlayAnswer:
        """Creates a plan play, billed as one activity. With an `Idempotency-Key`, a repeated
        request answers the plan play the first one created, and is not billed again."""
        client_id = access.client_of(claims, requested_client)
        owner = access.owner_for_new_play(claims, body.userId)
        own = owner == claims.sub
        now = timestamp(datetime.now(UTC))
        play = PlanPlay(
            id=_idempotent_id(client_id, owner, idempotency_key) if idempotency_key else new_object_id(),
            clientId=client_id,
            planId=body.planId,
            userId=owner,
            plannedLessons=body.plannedLessons,
            email=body.email or (claims.email if own else None),
            displayName=body.displayName or (claims.name if own else None),
            photoURL=body.photoURL,
            assignmentSource=body.assignmentSource,
            riskLevel=body.riskLevel,
            status=PlanPlayStatus.IN_PROGRESS,
            createdAt=now,
            updatedAt=now,
        )

        def writes(charge: Charge) -> list[Write]:
            data = {**_event_data(play), "status": play.status.value, BILLING: charge.model_dump(mode="json")}
            event = DomainEvent.of(EventType.PLAN_PLAY_CREATED, data, actor=claims.sub)
            return [Put(play.to_item(), not_exists()), events.record(event)]

        try:
            self.controls.transact_billable(client_id, BillableActivity.CREATE, writes)
        except TransactionCanceled as canceled:
            stored = canceled.reasons[0].item if canceled.reasons else None
            if idempotency_key is None or stored is None or 0 not in canceled.failed_conditions():
                raise
            earlier = PlanPlay.from_item(stored)
            if earlier.planId != play.planId or earlier.plannedLessons != play.plannedLessons:
                raise Conflict("Idempotency-Key was already used for a different plan play") from canceled
            return PlanPlayAnswer(data=earlier)
        return PlanPlayAnswer(data=play)

    def limits(
        self, claims: Claims, requested_client: str | None, after_write: bool, refused: LimitExceeded | None
    ) -> list[LimitStatus]:
        """The caller's client's rate limit and quota as they stand (the RateLimit headers)."""
        client_id = access.client_of(claims, requested_client)
        return self.controls.status(client_id, consistent=after_write, refused=refused)

    # --- read -----------------------------------------------------------------------

    def get(self, claims: Claims, plan_play_id: str) -> PlanPlayAnswer:
        play = self._read(plan_play_id)
        access.require_access(claims, play)
        return PlanPlayAnswer(data=play)

    def _read(self, plan_play_id: str) -> PlanPlay:
        item = self.table.get(table_keys.plan_play(plan_play_id), consistent=True)
        if item is None:
            raise NotFound(NOT_FOUND)
        return PlanPlay.from_item(item)

    def list_plan_plays(
        self,
        claims: Claims,
        *,
        client_id: str | None,
        user_id: str | None,
        status: StatusInput | None,
        plan_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> PlanPlayPage:
        """Newest first. One Query per page, or a few when filters leave a page short."""
        client = access.client_of(claims, client_id)
        owner = access.owner_filter(claims, user_id)
        if owner is not None:
            index, partition = "GSI1", table_keys.user_plan_plays_index(client, owner)
        else:
            index, partition = "GSI2", table_keys.client_plan_plays_index(client)
        filter_ = _filter(status, plan_id)
        items: list[dict[str, Any]] = []
        for _ in range(MAX_QUERIES_PER_PAGE):
            page = self.table.query(
                partition, index=index, limit=limit - len(items), cursor=cursor, newest_first=True, filter_=filter_
            )
            items.extend(page.items)
            cursor = page.cursor
            if cursor is None or len(items) >= limit or filter_ is None:
                break
        plays = [PlanPlay.from_item(i) for i in items]
        return PlanPlayPage(data=plays, count=len(plays), cursor=cursor)

    # --- update ---------------------------------------------------------------------

    def update(self, claims: Claims, plan_play_id: str, body: PlanPlayUpdateBody) -> PlanPlayAnswer:
        """Applies the fields sent. The first transition into completed is billed (once:
        its write is conditional on the plan play not being completed yet, and a request
        that loses that race is judged again against what the winner stored)."""
        play = self._read(plan_play_id)
        access.require_access(claims, play)
        for attempt in races.attempts(MAX_UPDATE_ATTEMPTS):
            problems = play.problems_with(body)
            if problems:
                summary = "; ".join(f"{p.field}: {p.message}" for p in problems)
                raise InvalidInput(f"Invalid request: {summary}", details=[p.model_dump() for p in problems])
            changes = play.changes_for(body)
            if not changes:
                return PlanPlayAnswer(data=play)  # a repeated request: nothing to write, nothing to bill
            try:
                return PlanPlayAnswer(data=self._apply(claims, play, changes))
            except TransactionCanceled as canceled:
                if 0 not in canceled.failed_conditions():
                    raise
                stored = canceled.reasons[0].item
                if stored is None:
                    raise NotFound(NOT_FOUND) from canceled
                attempt.lost(
                    "plan play changed meanwhile; judging the update again", canceled, plan_play_id=plan_play_id
                )
                play = PlanPlay.from_item(stored)
        raise ConcurrentModification("The plan play kept changing while this update was applied; retry it")

    def _apply(self, claims: Claims, play: PlanPlay, changes: dict[str, Any]) -> PlanPlay:
        now = timestamp(datetime.now(UTC))
        completing = play.completes_with(changes)
        # Completing sets completedAt if absent; if_not_exists keeps one a concurrent update set.
        stamp_completion = completing and "completedAt" not in changes and play.completedAt is None
        write = _update_write(play, {**changes, "updatedAt": now}, completed_at=now if stamp_completion else None)
        stored_changes = {**changes, "updatedAt": now, **({"completedAt": now} if stamp_completion else {})}
        updated = PlanPlay.model_validate({**play.model_dump(), **stored_changes})
        if not completing:
            data = {**_event_data(play), "changes": changes}
            event = DomainEvent.of(EventType.PLAN_PLAY_UPDATED, data, actor=claims.sub)
            self.table.transact([write, events.record(event)])
            return updated

        def writes(charge: Charge) -> list[Write]:
            data = {
                **_event_data(play),
                "completed_at": updated.completedAt,
                "changes": changes,
                BILLING: charge.model_dump(mode="json"),
            }
            event = DomainEvent.of(EventType.PLAN_PLAY_COMPLETED, data, actor=claims.sub)
            return [write, events.record(event)]

        self.controls.transact_billable(play.clientId, BillableActivity.COMPLETION, writes)
        return updated


def _event_data(play: PlanPlay) -> dict[str, Any]:
    return {"plan_play_id": play.id, "client_id": play.clientId, "user_id": play.userId, "plan_id": play.planId}


def _idempotent_id(client_id: str, owner: str, idempotency_key: str) -> str:
    """The same (client, user, key) always names the same plan play; nothing else does."""
    digest = hashlib.sha256("\n".join((client_id, owner, idempotency_key)).encode()).hexdigest()
    return digest[:24]


def _update_write(play: PlanPlay, values: dict[str, Any], *, completed_at: str | None) -> Update:
    names: dict[str, str] = {}
    placeholders: dict[str, Any] = {}
    assignments = []
    for position, (name, value) in enumerate(values.items()):
        names[f"#f{position}"] = name
        placeholders[f":v{position}"] = value
        assignments.append(f"#f{position} = :v{position}")
    if completed_at is not None:
        names["#completedAt"] = "completedAt"
        placeholders[":completedAt"] = completed_at
        assignments.append("#completedAt = if_not_exists(#completedAt, :completedAt)")
    condition = "attribute_exists(PK)"
    condition_values: dict[str, Any] = {}
    if "status" in values:
        # Nothing leaves completed, and nothing enters it twice (which would bill twice).
        condition += " AND #status <> :completed"
        condition_values[":completed"] = PlanPlayStatus.COMPLETED.value
    return Update(
        play.keys(),
        Expression("SET " + ", ".join(assignments), names, placeholders),
        Expression(condition, {"#status": "status"} if "status" in values else {}, condition_values),
    )


def _filter(status: StatusInput | None, plan_id: str | None) -> Expression | None:
    terms, names, values = [], {}, {}
    if status is not None:
        terms.append("#status = :status")
        names["#status"] = "status"
        values[":status"] = status_from_input(status).value
    if plan_id is not None:
        terms.append("#plan = :plan")
        names["#plan"] = "planId"
        values[":plan"] = plan_id
    return Expression(" AND ".join(terms), names, values) if terms else None
