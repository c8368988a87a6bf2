"""Updating an enrolment (docs/product.md "Enrolments", decision enrolments-updates.md): the
seed's fields under the status permission table, never over a change the request did not see.

A refused transaction is looked at before anything is tried again: the LO's check (when the
claims alone could not decide) says the caller may not; the enrolment's version says someone
changed it meanwhile, merged when they touched none of the request's fields.
"""

from __future__ import annotations

from typing import Any

from planhub import conditional, events
from planhub.auth.claims import Claims
from planhub.enrolments import permissions
from planhub.enrolments.models import Enrolment, EnrolmentStatus, EnrolmentUpdateBody, requested_status
from planhub.enrolments.repository import EnrolmentRepository, learning_object_of
from planhub.enrolments.roll_up import RollUp
from planhub.enrolments.writes import (
    LabelledWrites,
    as_json,
    child_record,
    completed_event,
    event_fields,
    history_entry,
    transact,
    utc_now,
)
from planhub.errors import ConcurrentModification, Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from planhub.events import DomainEvent, EventType
from planhub.records.learning_object import LearningObject, LoType
from planhub.records.user import User
from planhub.storage import Check, Expression, Put, Table, TransactionCanceled, Update, races
from planhub.storage import keys as table_keys

MERGE_ATTEMPTS = 8  # an update re-applied on top of concurrent changes that touched other fields

# Request field names of the update seed -> attribute names of the stored enrolment.
_UPDATE_ATTRIBUTES = {
    "startDate": "start_date",
    "endDate": "end_date",
    "dueDate": "due_date",
    "expectedCompletionDate": "due_date",
    "status": "status",
    "result": "result",
    "pass_": "passed",
    "duration": "duration",
    "note": "note",
    "data": "data",
}
_REQUEST_NAMES = {"pass_": "pass"}


class Updating:
    """One enrolment's update request, from the fields it gives to its one transaction."""

    def __init__(self, table: Table, repository: EnrolmentRepository, roll_ups: RollUp) -> None:
        self.table = table
        self.repository = repository
        self.roll_ups = roll_ups

    def apply(
        self, claims: Claims, enrolment_id: int, body: EnrolmentUpdateBody, *, if_match: tuple[str, ...] | None = None
    ) -> None:
        """Applies the request's fields under the permission rules, never over a change it did not see.

        A concurrent change that touched none of the request's fields is merged (the request is
        checked and applied again on top of it); one that touched the same fields is a 409.
        With `if_match` (the request's `If-Match` tags) nothing is merged: an enrolment whose
        version the tags do not name, when read or when written, is a 412 and stays unchanged.
        """
        given, changes, requested = _requested_changes(body)
        enrolment = self.repository.enrolment(enrolment_id)
        to_status: EnrolmentStatus | None = changes.get("status")
        lo: LearningObject | None = None
        user: User | None = None
        for attempt in races.attempts(MERGE_ATTEMPTS):
            if enrolment.archived:
                raise Conflict(f"Enrolment {enrolment_id} is archived: it no longer changes")
            lo_check = None
            if lo is None:
                decided, lo_check = _decided_without_records(claims, enrolment, requested, to_status)
                if not decided and (lo_check is None or not given):
                    lo, user = self.repository.deciding_records(enrolment, with_learner=claims.sub != enrolment.user_id)
            if lo is not None:
                _require_may_update(claims, enrolment, user, lo, fields=requested, to_status=to_status)
            if if_match is not None and not conditional.matches(if_match, enrolment.version):
                raise PreconditionFailed(
                    f"Enrolment {enrolment_id} is at version {enrolment.version} "
                    f"({conditional.entity_tag(enrolment.version)}), not the one If-Match names; read it again"
                )
            if not given:
                break
            try:
                self._write_update(claims, enrolment, changes, body.note if "note" in given else None, lo_check)
                break
            except TransactionCanceled as canceled:
                if lo_check is not None and _LO_CHECK in canceled.failed_conditions() and not canceled.is_conflict:
                    # The LO did not allow it: the item its check gave back says why, next round,
                    # before any concurrent change to the enrolment is looked at (as a read LO was).
                    lo = learning_object_of(enrolment, canceled.reasons[_LO_CHECK].item)
                    attempt.lost(
                        "update refused by the LO's check; deciding from the LO", canceled, enrolment_id=enrolment_id
                    )
                    continue
                if if_match is not None and not canceled.is_conflict and 0 in canceled.failed_conditions():
                    raise PreconditionFailed(
                        f"Enrolment {enrolment_id} was changed meanwhile: If-Match no longer matches; read it again"
                    ) from canceled
                current = self._after_refused_update(canceled, enrolment, changes, last=attempt.is_last)
                attempt.lost(
                    "merging a concurrent change",
                    canceled,
                    enrolment_id=enrolment_id,
                    changed=sorted(_changed(enrolment, current)),
                )
                enrolment = current
        if body.reCalculate and enrolment.parent_enrolment_id is not None:
            self.roll_ups.complete_chain(enrolment.parent_enrolment_id, claims.sub)

    def _write_update(
        self, claims: Claims, enrolment: Enrolment, changes: dict[str, Any], note: str | None, lo_check: Check | None
    ) -> None:
        now = utc_now()
        to_status: EnrolmentStatus | None = changes.get("status")
        status_changes = to_status is not None and to_status != enrolment.status
        values = dict(changes)
        if (
            status_changes
            and to_status is EnrolmentStatus.COMPLETED
            and values.get("end_date", enrolment.end_date) is None
        ):
            values["end_date"] = now  # completing sets endDate if absent
        if (
            status_changes
            and to_status is EnrolmentStatus.IN_PROGRESS
            and values.get("start_date", enrolment.start_date) is None
        ):
            values["start_date"] = now  # moved in progress without a start date: it starts now
        version = enrolment.version + 1
        after = enrolment.model_copy(update={**values, "version": version, "updated_at": now})

        sets, removes, names, placeholders = [], [], {}, {}
        for index, (attribute, value) in enumerate(sorted(values.items())):
            names[f"#a{index}"] = attribute
            if value is None:
                removes.append(f"#a{index}")
            else:
                sets.append(f"#a{index} = :v{index}")
                placeholders[f":v{index}"] = _stored(value)
        sets += ["version = :version", "updated_at = :now"]
        if status_changes:  # the user's lists order by status
            sets.append("GSI1SK = :gsi1sk")
            placeholders[":gsi1sk"] = after.index_keys()["GSI1SK"]
        placeholders.update(
            {":version": version, ":now": as_json(now), ":expected": enrolment.version, ":false": False}
        )
        text = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        writes = LabelledWrites()
        writes.add(
            "enrolment",
            Update(
                table_keys.enrolment(enrolment.id),
                Expression(text, names=names, values=placeholders),
                Expression("version = :expected AND (attribute_not_exists(archived) OR archived = :false)"),
            ),
        )
        if lo_check is not None:
            writes.add("lo", lo_check)  # at _LO_CHECK
        if status_changes:
            assert to_status is not None
            writes.add(
                "history",
                Put(history_entry(enrolment.id, claims.sub, enrolment.status, to_status, note=note, now=now).to_item()),
            )
            if enrolment.parent_enrolment_id is not None:
                writes.add("child", Put(child_record(after).to_item()))
        updated = {
            **event_fields(after),
            "changes": {_field_name(a): as_json(v) for a, v in sorted(values.items())},
            "from_status": enrolment.status.value,
            "to_status": after.status.value,
            "version": version,
        }
        writes.add("event", events.record(DomainEvent.of(EventType.ENROLMENT_UPDATED, updated, actor=claims.sub)))
        if status_changes and to_status is EnrolmentStatus.COMPLETED:
            writes.add("event", events.record(completed_event(after, claims.sub)))
        transact(self.table, writes)

    def _after_refused_update(
        self, canceled: TransactionCanceled, read: Enrolment, changes: dict[str, Any], *, last: bool
    ) -> Enrolment:
        """The enrolment to try again on, or the error when the concurrent change overlaps ours."""
        if canceled.is_conflict:
            raise ConcurrentModification(f"Enrolment {read.id} is being changed concurrently; try again") from canceled
        if 0 not in canceled.failed_conditions():
            raise canceled
        stored = canceled.reasons[0].item
        if stored is None:
            raise NotFound(f"Enrolment {read.id} not found")
        current = Enrolment.from_item(stored)
        if current.archived:
            raise Conflict(f"Enrolment {read.id} is archived: it no longer changes")
        touched = set(changes) | ({"status", "end_date", "start_date"} if "status" in changes else set())
        changed = _changed(read, current)
        if changed & touched or last:
            raise ConcurrentModification(
                f"Enrolment {read.id} was changed by someone else meanwhile ({', '.join(sorted(changed & touched))}); "
                "read it again and retry"
            )
        return current


def _changed(read: Enrolment, current: Enrolment) -> set[str]:
    """The fields someone else changed since `read`, besides the version bookkeeping."""
    before, now = read.model_dump(), current.model_dump()
    return {name for name in before if before[name] != now[name]} - {"version", "updated_at"}


def _requested_changes(body: EnrolmentUpdateBody) -> tuple[set[str], dict[str, Any], set[str]]:
    """The fields given, the attribute changes they make, and the fields as the request names them."""
    given = body.model_fields_set - {"reCalculate"}
    if not given and not body.reCalculate:
        raise InvalidInput("Nothing to update: give at least one field")
    if "status" in given and body.status is None:
        raise InvalidInput("status: must not be null")
    # `expectedCompletionDate` is the deprecated alias of `dueDate`: when both are sent (the
    # seed's own example does), `dueDate` wins (docs/product.md "Enrolments").
    alias_overruled = {"expectedCompletionDate"} if "dueDate" in given else set()
    changes = {_UPDATE_ATTRIBUTES[name]: getattr(body, name) for name in given - alias_overruled}
    if "status" in changes:
        changes["status"] = requested_status(body.status) if body.status else None
    return given, changes, {_REQUEST_NAMES.get(name, name) for name in given}


_LO_CHECK = 1  # where an update's check of the LO goes in its transaction, after the enrolment's update


def _decided_without_records(
    claims: Claims, enrolment: Enrolment, fields: set[str], to_status: EnrolmentStatus | None
) -> tuple[bool, Check | None]:
    """Whether the claims alone allow the update; if not, the LO check that would, when only the
    LO can decide (the caller is the learner, so the learner's managers are not in play).

    Neither: the LO and the learner's record are read (they may make the caller the learner's
    manager or the LO's assessor), or no LO allows it and the LO is read to say why.
    """
    every_type = frozenset(LoType)
    plain = permissions.lo_types_allowing(claims, enrolment, fields, to_status, assessor=False)
    if plain == every_type:
        return True, None
    if claims.sub != enrolment.user_id:
        return False, None
    assessed = permissions.lo_types_allowing(claims, enrolment, fields, to_status, assessor=True)
    if not assessed:
        return False, None
    names: dict[str, str] = {}
    values: dict[str, Any] = {":caller": claims.sub}

    def of_type(types: frozenset[LoType], prefix: str) -> str:
        names["#type"] = "type"
        placeholders = []
        for index, lo_type in enumerate(sorted(types)):
            values[f":{prefix}{index}"] = lo_type.value
            placeholders.append(f":{prefix}{index}")
        return f"#type IN ({', '.join(placeholders)})"

    alternatives = [of_type(plain, "plain")] if plain else []
    among_assessors = "contains(assessors, :caller)"
    if assessed != every_type:
        among_assessors = f"({among_assessors} AND {of_type(assessed, 'assessed')})"
    alternatives.append(among_assessors)
    condition = Expression(f"attribute_exists(PK) AND ({' OR '.join(alternatives)})", names=names, values=values)
    return False, Check(table_keys.learning_object(enrolment.lo_id), condition)


def _require_may_update(
    claims: Claims,
    enrolment: Enrolment,
    user: User | None,
    lo: LearningObject,
    *,
    fields: set[str],
    to_status: EnrolmentStatus | None,
) -> None:
    found = permissions.capacities(claims, enrolment, user, lo)
    permissions.require_may_see(found)
    permissions.require_may_set(found, fields)
    if (
        to_status is not None
        and to_status != enrolment.status
        and not permissions.may_change_status(found, enrolment.status, to_status, lo.type)
    ):
        raise Forbidden(
            f"You may not change the status of this {lo.type.value} enrolment "
            f"from {enrolment.status.value} to {to_status.value}"
        )


def _stored(value: Any) -> Any:
    if isinstance(value, EnrolmentStatus):
        return value.value
    return as_json(value)


_ATTRIBUTE_FIELDS = {"start_date": "startDate", "end_date": "endDate", "due_date": "dueDate", "passed": "pass"}


def _field_name(attribute: str) -> str:
    """An attribute's name as the update seed calls the field."""
    return _ATTRIBUTE_FIELDS.get(attribute, attribute)
