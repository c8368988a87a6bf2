"""Withdrawing an enrolment (docs/product.md "Everyday operations"): it and its open
descendants are archived in one transaction, kept, never deleted; their active refs go.
"""

from __future__ import annotations

from datetime import datetime

from planhub import events
from planhub.auth.claims import Claims
from planhub.enrolments import permissions
from planhub.enrolments.models import Enrolment, EnrolmentStatus
from planhub.enrolments.repository import EnrolmentRepository
from planhub.enrolments.writes import LabelledWrites, as_json, event_fields, transact, utc_now
from planhub.errors import ConcurrentModification, Conflict, NotFound
from planhub.events import DomainEvent, EventType
from planhub.records.repository import RecordRepository
from planhub.storage import Delete, Expression, Table, TransactionCanceled, Update
from planhub.storage import keys as table_keys
from planhub.storage.table import TRANSACTION_LIMIT


class Withdrawing:
    def __init__(self, table: Table, repository: EnrolmentRepository, records: RecordRepository) -> None:
        self.table = table
        self.repository = repository
        self.records = records

    def withdraw(self, claims: Claims, enrolment_id: int) -> None:
        """Archives the enrolment and its open descendants in one transaction (docs/product.md "Everyday operations").

        Completed enrolments stay: the addressed one is a 409, a completed child is kept as
        the record of what was done. One strongly consistent Query per enrolment of the tree
        (the enrolment with its child records), then one transaction that holds if none of
        them changed meanwhile.
        """
        family = self.repository.family(enrolment_id)
        enrolment = family.parent
        if enrolment is None:
            raise NotFound(f"Enrolment {enrolment_id} not found")
        if not permissions.may_withdraw_without_records(claims, enrolment):
            user = self.records.find_user(enrolment.portal_id, enrolment.user_id)
            permissions.require_may_withdraw(claims, enrolment, user)
        if enrolment.archived:
            raise Conflict(f"Enrolment {enrolment_id} is archived already")
        if enrolment.status is EnrolmentStatus.COMPLETED:
            raise Conflict(f"Enrolment {enrolment_id} is completed: it stays (re-enrol instead)")
        withdrawn = [enrolment]
        pending = [child.enrolment_id for child in family.children.values()]
        while pending:
            child_family = self.repository.family(pending.pop())
            child = child_family.parent
            if child is None or child.archived or child.status is EnrolmentStatus.COMPLETED:
                continue
            withdrawn.append(child)
            pending.extend(grandchild.enrolment_id for grandchild in child_family.children.values())
        if 2 * len(withdrawn) + 1 > TRANSACTION_LIMIT:
            raise Conflict(
                f"Enrolment {enrolment_id} has {len(withdrawn) - 1} open descendants: withdraw some of them first"
            )
        now = utc_now()
        writes = LabelledWrites()
        for archived in withdrawn:
            writes.add("enrolment", _withdrawal(archived, claims.sub, now))
            writes.add(
                "active",
                Delete(
                    table_keys.active_enrolment(archived.portal_id, archived.user_id, archived.lo_id),
                    Expression("enrolment_id = :enrolment", values={":enrolment": archived.id}),
                ),
            )
        data = {**event_fields(enrolment), "withdrawn_enrolment_ids": [e.id for e in withdrawn]}
        writes.add("event", events.record(DomainEvent.of(EventType.ENROLMENT_WITHDRAWN, data, actor=claims.sub)))
        try:
            transact(self.table, writes)
        except TransactionCanceled as canceled:
            raise ConcurrentModification(
                f"Enrolment {enrolment_id} or one of its children changed meanwhile; read it again and retry"
            ) from canceled


def _withdrawal(enrolment: Enrolment, actor: str, now: datetime) -> Update:
    """Archives an enrolment withdrawn as it was read (its version), moving it to the user's archived lists."""
    index = table_keys.enrolment_archived_index_keys(
        enrolment.portal_id, enrolment.user_id, enrolment.lo_id, enrolment.id
    )
    return Update(
        table_keys.enrolment(enrolment.id),
        Expression(
            "SET archived = :true, archived_at = :now, archived_by = :actor, updated_at = :now, "
            "version = :version, GSI1PK = :gsi1pk, GSI2PK = :gsi2pk, GSI2SK = :gsi2sk",
            values={
                ":true": True,
                ":now": as_json(now),
                ":actor": actor,
                ":version": enrolment.version + 1,
                ":gsi1pk": index["GSI1PK"],
                ":gsi2pk": index["GSI2PK"],
                ":gsi2sk": index["GSI2SK"],
            },
        ),
        Expression(
            "version = :expected AND (attribute_not_exists(archived) OR archived = :false)",
            values={":expected": enrolment.version, ":false": False},
        ),
    )
