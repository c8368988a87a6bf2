"""What every change of an enrolment writes besides the enrolment itself: its history entry,
its parent's record of it, its domain events, all in one transaction built as labelled writes
(the labels tell which write a cancellation refused). Creates, updates, the roll-up and
withdrawals write the same shapes, so they are built here once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from planhub.enrolments.models import Enrolment, EnrolmentChange, EnrolmentChild, EnrolmentStatus
from planhub.events import DomainEvent, EventType
from planhub.storage import Expression, Table, TransactionCanceled, Write, races

TRANSACTION_ATTEMPTS = 3  # when only a TransactionConflict got in the way

# An enrolment nobody archived: a write's condition where an archived one must stay untouched.
UNARCHIVED = Expression(
    "attribute_exists(PK) AND (attribute_not_exists(archived) OR archived = :false)", values={":false": False}
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_json(value: Any) -> Any:
    """A stored or event value: times as ISO 8601 UTC text, anything else as it is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


class LabelledWrites:
    """A change's writes, each with a label, to tell which one a cancellation refused (see enrolling.CreationBatch)."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.writes: list[Write] = []

    def add(self, label: str, write: Write) -> None:
        self.labels.append(label)
        self.writes.append(write)


def transact(table: Table, writes: LabelledWrites) -> None:
    """The transaction, retried when only a concurrent transaction got in its way."""
    for attempt in races.attempts(TRANSACTION_ATTEMPTS):
        try:
            table.transact(writes.writes)
            return
        except TransactionCanceled as canceled:
            if not canceled.is_conflict or attempt.is_last:
                raise
            attempt.lost(
                "enrolment transaction met a concurrent one; sending it again", canceled, pause=_backoff(attempt)
            )


def _backoff(attempt: races.Attempt) -> float:
    """20 ms, then 40 ms: room for the concurrent transaction on the same items to finish first."""
    return 0.02 * 2.0 ** (attempt.number - 1)


def history_entry(
    enrolment_id: int,
    actor: str | None,
    from_status: EnrolmentStatus | None,
    to_status: EnrolmentStatus,
    *,
    note: str | None,
    now: datetime,
) -> EnrolmentChange:
    return EnrolmentChange(
        enrolment_id=enrolment_id,
        change_id=uuid.uuid4().hex,
        changed_at=_sortable(now),
        changed_by=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def _sortable(moment: datetime) -> str:
    """Fixed-width UTC text, so that history items sort by time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def child_record(enrolment: Enrolment) -> EnrolmentChild:
    """The parent's record of its child's status, which the roll-up reads in the parent's partition."""
    assert enrolment.parent_enrolment_id is not None
    return EnrolmentChild(
        parent_enrolment_id=enrolment.parent_enrolment_id,
        lo_id=enrolment.lo_id,
        enrolment_id=enrolment.id,
        status=enrolment.status,
    )


def event_fields(enrolment: Enrolment) -> dict[str, Any]:
    return {
        "id": enrolment.id,
        "portal_id": enrolment.portal_id,
        "user_id": enrolment.user_id,
        "lo_id": enrolment.lo_id,
        "parent_enrolment_id": enrolment.parent_enrolment_id,
        "parent_lo_id": enrolment.parent_lo_id,
    }


def completed_event(enrolment: Enrolment, actor: str | None) -> DomainEvent:
    data = {**event_fields(enrolment), "end_date": as_json(enrolment.end_date)}
    return DomainEvent.of(EventType.ENROLMENT_COMPLETED, data, actor=actor)
