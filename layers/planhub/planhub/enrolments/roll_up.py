"""Rolling a completion up to the parents (docs/product.md "Enrolments", decision
enrolments-roll-up.md): a parent enrolment completes when every child LO of its LO has a
completed child enrolment, as its child records (in the parent's partition) say.

Two ways in: the `enrolment completed` consumer (`EnrolmentService.roll_up`), one level per
event (the parent's own `enrolment completed` carries it further up), and a request's
`reCalculate=1`, which climbs the whole chain before it answers.
"""

from __future__ import annotations

from planhub import events
from planhub.enrolments.models import OPEN_STATUSES, Enrolment, EnrolmentStatus
from planhub.enrolments.repository import EnrolmentRepository
from planhub.enrolments.writes import (
    TRANSACTION_ATTEMPTS,
    LabelledWrites,
    as_json,
    child_record,
    completed_event,
    event_fields,
    history_entry,
    transact,
    utc_now,
)
from planhub.events import DomainEvent, EventType
from planhub.observability import logger
from planhub.records.learning_object import LearningObject
from planhub.storage import Expression, Put, Table, TransactionCanceled, Update, races
from planhub.storage import keys as table_keys


class RollUp:
    """Completes parents whose children are all completed."""

    def __init__(self, table: Table, repository: EnrolmentRepository) -> None:
        self.table = table
        self.repository = repository

    def complete_chain(self, parent_id: int | None, actor: str | None) -> None:
        """Within the request (`reCalculate=1`): up the whole chain, as far as it completes."""
        while parent_id is not None:
            completed = self.complete_when_children_are(parent_id, actor)
            parent_id = completed.parent_enrolment_id if completed else None

    def complete_when_children_are(self, parent_id: int, actor: str | None) -> Enrolment | None:
        """Completes the parent when every child LO has a completed child enrolment; answers it if so."""
        lo: LearningObject | None = None
        for attempt in races.attempts(TRANSACTION_ATTEMPTS):
            family = self.repository.family(parent_id)
            parent = family.parent
            if parent is None or parent.archived or parent.status not in OPEN_STATUSES:
                return None
            if lo is None:
                lo_item = self.table.get(table_keys.learning_object(parent.lo_id))
                if lo_item is None:
                    return None
                lo = LearningObject.from_item(lo_item)
            done = all(
                (child := family.children.get(lo_id)) is not None and child.status is EnrolmentStatus.COMPLETED
                for lo_id in lo.children
            )
            if not lo.children or not done:
                return None
            try:
                return self._complete(parent, actor)
            except TransactionCanceled as canceled:
                if canceled.failed_conditions() != [0] and not canceled.is_conflict:
                    raise
                # The parent changed meanwhile: whether it completes is read and decided again.
                attempt.lost("roll-up raced a change of the parent; reading it again", canceled, enrolment_id=parent_id)
        return None

    def _complete(self, parent: Enrolment, actor: str | None) -> Enrolment:
        now = utc_now()
        version = parent.version + 1
        after = parent.model_copy(
            update={
                "status": EnrolmentStatus.COMPLETED,
                "end_date": parent.end_date or now,
                "version": version,
                "updated_at": now,
            }
        )
        writes = LabelledWrites()
        writes.add(
            "enrolment",
            Update(
                table_keys.enrolment(parent.id),
                Expression(
                    "SET #status = :completed, end_date = if_not_exists(end_date, :now), "
                    "version = :version, updated_at = :now, GSI1SK = :gsi1sk",
                    names={"#status": "status"},
                    values={
                        ":completed": EnrolmentStatus.COMPLETED.value,
                        ":now": as_json(now),
                        ":version": version,
                        ":gsi1sk": after.index_keys()["GSI1SK"],
                    },
                ),
                Expression(
                    "version = :expected AND (attribute_not_exists(archived) OR archived = :false)",
                    values={":expected": parent.version, ":false": False},
                ),
            ),
        )
        note = "Every child enrolment is completed"
        writes.add(
            "history",
            Put(
                history_entry(parent.id, actor, parent.status, EnrolmentStatus.COMPLETED, note=note, now=now).to_item()
            ),
        )
        if parent.parent_enrolment_id is not None:
            writes.add("child", Put(child_record(after).to_item()))
        updated = {
            **event_fields(after),
            "changes": {"status": EnrolmentStatus.COMPLETED.value, "endDate": as_json(after.end_date)},
            "from_status": parent.status.value,
            "to_status": EnrolmentStatus.COMPLETED.value,
            "version": version,
            "rolled_up": True,
        }
        writes.add("event", events.record(DomainEvent.of(EventType.ENROLMENT_UPDATED, updated, actor=actor)))
        writes.add("event", events.record(completed_event(after, actor)))
        transact(self.table, writes)
        logger.info("enrolment completed by roll-up", extra={"enrolment_id": parent.id})
        return after
