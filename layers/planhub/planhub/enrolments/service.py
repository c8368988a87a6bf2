"""Enrolment use cases (SPEC.md section 5): enrol (one LO, many, on behalf of a student),
update under the seed's permission table, read an enrolment and its history, and roll a
completion up to the parent enrolments.

Every state change is one transaction holding the change, its history entry, the parent's
record of its child, the plan link, the payment's writes and the domain events, so a
credit token or a coupon use is never spent without its enrolment, nor the other way round.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from planhub import events
from planhub.auth.claims import Claims
from planhub.enrolments import permissions
from planhub.enrolments.models import (
    NO_PARENT,
    OPEN_STATUSES,
    CreatableStatus,
    Enrolment,
    EnrolmentChange,
    EnrolmentChangeView,
    EnrolmentChild,
    EnrolmentCreateBody,
    EnrolmentHistoryPage,
    EnrolmentId,
    EnrolmentItem,
    EnrolmentsCreateBody,
    EnrolmentStatus,
    EnrolmentUpdateBody,
    EnrolmentView,
    ItemOutcomes,
    requested_status,
)
from planhub.enrolments.payments import (
    COUPON_WRITE,
    CREDIT_WRITE,
    Payment,
    PaymentGateway,
    credit_token_refusal,
    payment_gateway,
    refund,
    settle,
)
from planhub.enrolments.plan_link import link_active_plan
from planhub.enrolments.repository import EnrolmentRepository
from planhub.errors import (
    ConcurrentModification,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PaymentRequired,
    PlanhubError,
)
from planhub.events import DomainEvent, EventType
from planhub.events.idempotency import exactly_once
from planhub.http.errors import status_of
from planhub.ids import new_numeric_id
from planhub.observability import logger
from planhub.records.coupon import Coupon
from planhub.records.learning_object import LearningObject
from planhub.records.portal import Portal
from planhub.records.repository import RecordRepository
from planhub.records.user import User
from planhub.settings import TableEnvironment
from planhub.storage import Expression, Put, Table, TransactionCanceled, Update, Write, not_exists
from planhub.storage import keys as table_keys

TRANSACTION_ATTEMPTS = 3  # when only a TransactionConflict got in the way
MERGE_ATTEMPTS = 8  # an update re-applied on top of concurrent changes that touched other fields
ROLL_UP_CONSUMER = "enrolment-completion-roll-up"

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


def _now() -> datetime:
    return datetime.now(UTC)


def _text(moment: datetime) -> str:
    """Fixed-width UTC text, so that history items sort by time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


@dataclass(frozen=True)
class NewEnrolment:
    """One enrolment to create, as the request describes it."""

    lo_id: str
    parent_lo_id: str
    parent_enrolment_id: int | None
    status: EnrolmentStatus
    due_date: datetime | None
    start_date: datetime | None
    data: dict[str, Any] | None
    re_enrol: bool

    @property
    def has_parent(self) -> bool:
        return self.parent_lo_id != NO_PARENT

    @classmethod
    def of_item(cls, item: EnrolmentItem) -> NewEnrolment:
        return cls(
            lo_id=item.loId,
            parent_lo_id=item.parentLoId,
            parent_enrolment_id=item.parentEnrolmentId,
            status=EnrolmentStatus(item.status),
            due_date=item.dueDate,
            start_date=item.startDate,
            data=item.data,
            re_enrol=item.reEnrol,
        )


class _Writes:
    """A transaction's writes, each with a label, to tell which one a cancellation refused."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.writes: list[Write] = []

    def add(self, label: str, write: Write) -> None:
        self.labels.append(label)
        self.writes.append(write)

    def refused(self, canceled: TransactionCanceled) -> dict[str, dict[str, Any] | None]:
        """Label -> the stored item, for every write whose condition failed."""
        return {self.labels[i]: canceled.reasons[i].item for i in canceled.failed_conditions()}


class EnrolmentService:
    def __init__(self, table: Table, gateway: Callable[[], PaymentGateway] = payment_gateway) -> None:
        self.table = table
        self.repository = EnrolmentRepository(table)
        self.records = RecordRepository(table)
        self._gateway = gateway

    @functools.cached_property
    def _roll_up_once(self) -> Callable[..., None]:
        # Built on first use: API functions never pay for the idempotency store.
        once: Callable[..., None] = exactly_once(ROLL_UP_CONSUMER, self.table.name)(self._roll_up_event)
        return once

    @classmethod
    def from_environment(cls) -> EnrolmentService:
        return cls(Table(TableEnvironment.load().table_name))

    # --- create -------------------------------------------------------------------------

    def enrol(
        self,
        claims: Claims,
        instance: str,
        *,
        parent_lo_id: str,
        lo_id: str,
        status: CreatableStatus,
        parent_enrolment_id: int | None,
        body: EnrolmentCreateBody | None,
        student_email: str | None = None,
    ) -> EnrolmentId:
        """One LO, for the caller or (with `student_email`) on behalf of a student."""
        body = body or EnrolmentCreateBody()
        portal = self.records.portal(instance)
        learner = self._student(claims, portal.id, student_email) if student_email else None
        request = NewEnrolment(
            lo_id=lo_id,
            parent_lo_id=parent_lo_id,
            parent_enrolment_id=parent_enrolment_id,
            status=EnrolmentStatus(status),
            due_date=body.dueDate,
            start_date=body.startDate,
            data=body.data,
            re_enrol=body.reEnrol,
        )
        payment = Payment.for_single(body.paymentMethod, body.coupon, body.paymentOptions)
        enrolment_id = self._enrol(
            claims, portal, learner, request, payment, notify=body.notify, recalculate=body.reCalculate
        )
        return EnrolmentId(id=enrolment_id)

    def enrol_many(
        self, claims: Claims, instance: str, body: EnrolmentsCreateBody, *, student_email: str | None = None
    ) -> ItemOutcomes:
        """Each item on its own: one item's failure never undoes another's enrolment."""
        portal = self.records.portal(instance)
        if student_email:
            learner = self._student(claims, portal.id, student_email)
        else:
            found = self.records.find_user(portal.id, claims.sub)
            if found is None:
                raise Forbidden(f"You are not a user of portal {portal.id}")
            learner = found
        outcomes: ItemOutcomes = {}
        for item in body.items:
            try:
                payment = Payment.for_item(item.loId, body.paymentMethod, body.coupon, body.paymentOptions)
                enrolment_id = self._enrol(
                    claims,
                    portal,
                    learner,
                    NewEnrolment.of_item(item),
                    payment,
                    notify=body.notify,
                    recalculate=body.reCalculate,
                )
                outcomes[item.loId] = {"200": {"id": enrolment_id}}
            except PlanhubError as error:
                outcomes[item.loId] = {str(int(status_of(error))): {"message": error.message}}
            except Exception:  # noqa: BLE001 - the other items' outcomes must still be answered
                logger.exception("enrolment item failed", extra={"lo_id": item.loId})
                outcomes[item.loId] = {"500": {"message": "Internal error: this item was not enrolled"}}
        return outcomes

    def _student(self, claims: Claims, portal_id: str, email: str) -> User:
        # A client may send the path's `@` percent-encoded; the resolver hands it on as sent.
        student = self.records.user_by_email(portal_id, unquote(email))
        permissions.require_may_enrol(claims, portal_id, student)
        return student

    def _enrol(
        self,
        claims: Claims,
        portal: Portal,
        learner: User | None,
        request: NewEnrolment,
        payment: Payment,
        *,
        notify: bool,
        recalculate: bool,
    ) -> int:
        """Creates one enrolment, or answers the active one's id; three table calls in the usual case."""
        portal_id = portal.id
        context = self._look_up(claims, portal_id, learner, request, payment)
        if context.active_id is not None and not request.re_enrol:
            return context.active_id
        now = _now()
        enrolment_id = new_numeric_id()
        settlement = settle(
            self._gateway(),
            payment,
            lo=context.lo,
            portal_id=portal_id,
            user_id=context.learner.id,
            enrolment_id=enrolment_id,
            coupon=context.coupon,
            now=now,
        )
        plan_link = link_active_plan(context.plan_ref, enrolment_id)
        enrolment = Enrolment(
            id=enrolment_id,
            portal_id=portal_id,
            user_id=context.learner.id,
            lo_id=request.lo_id,
            parent_lo_id=request.parent_lo_id if request.has_parent else None,
            parent_enrolment_id=context.parent.id if context.parent else None,
            status=request.status,
            plan_id=plan_link.plan_id if plan_link else None,
            start_date=request.start_date,
            due_date=request.due_date,
            end_date=now if request.status is EnrolmentStatus.COMPLETED else None,
            data=request.data,
            created_at=now,
            created_by=claims.sub,
            updated_at=now,
        )
        writes = _Writes()
        writes.add("enrolment", Put(enrolment.to_item(), not_exists()))
        writes.add("active", _active_ref(enrolment, context.active_id))
        if context.active_id is not None:
            writes.add("archive", _archive(context.active_id, claims.sub, now))
        writes.add(
            "history", Put(_change(enrolment.id, claims.sub, None, enrolment.status, note=None, now=now).to_item())
        )
        if context.parent is not None:
            writes.add("child", Put(_child_record(enrolment).to_item()))
        if plan_link is not None:
            writes.add("plan", plan_link.write)
        for label, write in settlement.writes.items():
            writes.add(label, write)
        # The email templates' vocabulary (planhub.notifications) besides the enrolment's own fields.
        created = {
            **_event_fields(enrolment),
            "status": enrolment.status.value,
            "plan_id": enrolment.plan_id,
            "notify": notify,
            "replaced_enrolment_id": context.active_id,
            "payment": settlement.summary or None,
            "enrolment": {
                "id": enrolment.id,
                "status": enrolment.status.value,
                "due_date": _json(enrolment.due_date),
                "start_date": _json(enrolment.start_date),
            },
            "recipient": {"user_id": context.learner.id, "email": context.learner.email, "name": context.learner.name},
            "learning_object": {"id": context.lo.id, "title": context.lo.title, "type": context.lo.type.value},
            "portal": {"id": portal.id, "name": portal.name, "title": portal.title or portal.name},
        }
        writes.add("event", events.record(DomainEvent.of(EventType.ENROLMENT_CREATED, created, actor=claims.sub)))
        if enrolment.status is EnrolmentStatus.COMPLETED:
            writes.add("event", events.record(_completed_event(enrolment, claims.sub)))
        try:
            self._transact(writes)
        except TransactionCanceled as canceled:
            refund(self._gateway(), settlement, enrolment_id)
            if canceled.is_conflict:
                raise ConcurrentModification("Concurrent requests got in the way; try again") from canceled
            return _creation_refused(writes.refused(canceled), request, portal_id, payment)
        except Exception:
            refund(self._gateway(), settlement, enrolment_id)
            raise
        if recalculate and enrolment.parent_enrolment_id is not None:
            self._complete_chain(enrolment.parent_enrolment_id, claims.sub)
        return enrolment.id

    def _look_up(
        self, claims: Claims, portal_id: str, learner: User | None, request: NewEnrolment, payment: Payment
    ) -> _Enrolling:
        """Everything a create needs, in one BatchGetItem, checked."""
        learner_id = learner.id if learner else claims.sub
        lo_key = table_keys.learning_object(request.lo_id)
        parent_lo_key = table_keys.learning_object(request.parent_lo_id) if request.has_parent else None
        learner_key = None if learner else table_keys.user(portal_id, learner_id)
        active_key = table_keys.active_enrolment(portal_id, learner_id, request.lo_id)
        plan_key = table_keys.active_plan(portal_id, learner_id, request.lo_id)
        parent_key = table_keys.enrolment(request.parent_enrolment_id) if request.parent_enrolment_id else None
        coupon_key = table_keys.coupon(payment.coupon) if payment.coupon else None
        found = self.repository.found(
            [lo_key, parent_lo_key, learner_key, active_key, plan_key, parent_key, coupon_key]
        )

        lo_item = found.get(lo_key)
        lo = LearningObject.from_item(lo_item) if lo_item else None
        if lo is None or not lo.available_in(portal_id):
            raise NotFound(f"Learning object {request.lo_id} not found in portal {portal_id}")
        if learner is None:
            learner_item = found.get(learner_key)
            if learner_item is None:
                raise Forbidden(f"You are not a user of portal {portal_id}")
            learner = User.from_item(learner_item)
        parent = _checked_parent(request, portal_id, learner_id, found.get(parent_lo_key), found.get(parent_key))
        active = found.get(active_key)
        coupon = found.get(coupon_key)
        return _Enrolling(
            lo=lo,
            learner=learner,
            parent=parent,
            active_id=int(active["enrolment_id"]) if active else None,
            plan_ref=found.get(plan_key),
            coupon=Coupon.from_item(coupon) if coupon else None,
        )

    def _transact(self, writes: _Writes) -> None:
        """The transaction, retried when only a concurrent transaction got in its way."""
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                self.table.transact(writes.writes)
                return
            except TransactionCanceled as canceled:
                if not canceled.is_conflict or attempt == TRANSACTION_ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * 2**attempt)

    # --- update ------------------------------------------------------------------------

    def update(self, claims: Claims, enrolment_id: int, body: EnrolmentUpdateBody) -> None:
        """Applies the request's fields under the permission rules, never over a change it did not see.

        A concurrent change that touched none of the request's fields is merged (the request is
        checked and applied again on top of it); one that touched the same fields is a 409.
        """
        given = body.model_fields_set - {"reCalculate"}
        if not given and not body.reCalculate:
            raise InvalidInput("Nothing to update: give at least one field")
        if "status" in given and body.status is None:
            raise InvalidInput("status: must not be null")
        if {"dueDate", "expectedCompletionDate"} <= given and body.dueDate != body.expectedCompletionDate:
            raise InvalidInput("expectedCompletionDate: deprecated alias of dueDate; give one of them")
        changes = {_UPDATE_ATTRIBUTES[name]: getattr(body, name) for name in given}
        if "status" in changes:
            changes["status"] = requested_status(body.status) if body.status else None
        requested = {_REQUEST_NAMES.get(name, name) for name in given}

        enrolment = self.repository.enrolment(enrolment_id)
        lo: LearningObject | None = None
        user: User | None = None
        for attempt in range(MERGE_ATTEMPTS):
            if enrolment.archived:
                raise Conflict(f"Enrolment {enrolment_id} is archived: it no longer changes")
            if lo is None:
                lo, user = self._lo_and_learner(claims, enrolment)
            found = permissions.capacities(claims, enrolment, user, lo)
            permissions.require_may_see(found)
            permissions.require_may_set(found, requested)
            to_status = changes.get("status")
            if (
                to_status is not None
                and to_status != enrolment.status
                and not permissions.may_change_status(found, enrolment.status, to_status, lo.type)
            ):
                raise Forbidden(
                    f"You may not change the status of this {lo.type.value} enrolment "
                    f"from {enrolment.status.value} to {to_status.value}"
                )
            if not given:
                break
            try:
                self._write_update(claims, enrolment, changes, body.note if "note" in given else None)
                break
            except TransactionCanceled as canceled:
                enrolment = self._after_refused_update(canceled, enrolment, changes, attempt)
        if body.reCalculate and enrolment.parent_enrolment_id is not None:
            self._complete_chain(enrolment.parent_enrolment_id, claims.sub)

    def _lo_and_learner(self, claims: Claims, enrolment: Enrolment) -> tuple[LearningObject, User | None]:
        """The LO (type, assessors) and, unless the caller is the learner, the learner (managers)."""
        lo_key = table_keys.learning_object(enrolment.lo_id)
        user_key = None if claims.sub == enrolment.user_id else table_keys.user(enrolment.portal_id, enrolment.user_id)
        found = self.repository.found([lo_key, user_key])
        lo_item = found.get(lo_key)
        if lo_item is None:
            raise NotFound(f"Learning object {enrolment.lo_id} of enrolment {enrolment.id} not found")
        user_item = found.get(user_key)
        return LearningObject.from_item(lo_item), User.from_item(user_item) if user_item else None

    def _write_update(self, claims: Claims, enrolment: Enrolment, changes: dict[str, Any], note: str | None) -> None:
        now = _now()
        to_status: EnrolmentStatus | None = changes.get("status")
        status_changes = to_status is not None and to_status != enrolment.status
        values = dict(changes)
        if (
            status_changes
            and to_status is EnrolmentStatus.COMPLETED
            and values.get("end_date", enrolment.end_date) is None
        ):
            values["end_date"] = now  # completing sets endDate if absent
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
        placeholders.update({":version": version, ":now": _json(now), ":expected": enrolment.version, ":false": False})
        text = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        writes = _Writes()
        writes.add(
            "enrolment",
            Update(
                table_keys.enrolment(enrolment.id),
                Expression(text, names=names, values=placeholders),
                Expression("version = :expected AND (attribute_not_exists(archived) OR archived = :false)"),
            ),
        )
        if status_changes:
            assert to_status is not None
            writes.add(
                "history",
                Put(_change(enrolment.id, claims.sub, enrolment.status, to_status, note=note, now=now).to_item()),
            )
            if enrolment.parent_enrolment_id is not None:
                writes.add("child", Put(_child_record(after).to_item()))
        updated = {
            **_event_fields(after),
            "changes": {_field_name(a): _json(v) for a, v in sorted(values.items())},
            "from_status": enrolment.status.value,
            "to_status": after.status.value,
            "version": version,
        }
        writes.add("event", events.record(DomainEvent.of(EventType.ENROLMENT_UPDATED, updated, actor=claims.sub)))
        if status_changes and to_status is EnrolmentStatus.COMPLETED:
            writes.add("event", events.record(_completed_event(after, claims.sub)))
        self._transact(writes)

    def _after_refused_update(
        self, canceled: TransactionCanceled, read: Enrolment, changes: dict[str, Any], attempt: int
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
        touched = set(changes) | ({"status", "end_date"} if "status" in changes else set())
        before, now = read.model_dump(), current.model_dump()
        changed = {name for name in before if before[name] != now[name]} - {"version", "updated_at"}
        if changed & touched or attempt == MERGE_ATTEMPTS - 1:
            raise ConcurrentModification(
                f"Enrolment {read.id} was changed by someone else meanwhile ({', '.join(sorted(changed & touched))}); "
                "read it again and retry"
            )
        logger.info("merging a concurrent change", extra={"enrolment_id": read.id, "changed": sorted(changed)})
        return current

    # --- read --------------------------------------------------------------------------

    def get(self, claims: Claims, enrolment_id: int) -> EnrolmentView:
        enrolment = self.repository.enrolment(enrolment_id)
        self._require_may_see(claims, enrolment)
        return EnrolmentView.of(enrolment)

    def history(self, claims: Claims, enrolment_id: int, limit: int, cursor: str | None) -> EnrolmentHistoryPage:
        """The enrolment's status changes, newest first."""
        enrolment = self.repository.enrolment(enrolment_id)
        self._require_may_see(claims, enrolment)
        changes, next_cursor = self.repository.history(enrolment_id, limit, cursor)
        return EnrolmentHistoryPage(data=[EnrolmentChangeView.of(c) for c in changes], cursor=next_cursor)

    def _require_may_see(self, claims: Claims, enrolment: Enrolment) -> None:
        if permissions.may_see_without_records(claims, enrolment):
            return
        lo, user = self._lo_and_learner(claims, enrolment)
        permissions.require_may_see(permissions.capacities(claims, enrolment, user, lo))

    # --- completion roll-up ------------------------------------------------------------

    def roll_up(self, event: DomainEvent) -> None:
        """Consumer of `enrolment completed`: completes the parent when all its children are.

        One level per event: the parent's own `enrolment completed` carries it further up.
        """
        self._roll_up_once(event=event.model_dump(mode="json"))

    def _roll_up_event(self, event: dict[str, Any]) -> None:
        parent_id = event.get("data", {}).get("parent_enrolment_id")
        if parent_id is not None:
            self._complete_when_children_are(int(parent_id), event.get("actor"))

    def _complete_chain(self, parent_id: int | None, actor: str | None) -> None:
        """Within the request (`reCalculate=1`): up the whole chain, as far as it completes."""
        while parent_id is not None:
            completed = self._complete_when_children_are(parent_id, actor)
            parent_id = completed.parent_enrolment_id if completed else None

    def _complete_when_children_are(self, parent_id: int, actor: str | None) -> Enrolment | None:
        """Completes the parent when every child LO has a completed child enrolment; answers it if so."""
        lo: LearningObject | None = None
        for _ in range(TRANSACTION_ATTEMPTS):
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
        return None

    def _complete(self, parent: Enrolment, actor: str | None) -> Enrolment:
        now = _now()
        version = parent.version + 1
        after = parent.model_copy(
            update={
                "status": EnrolmentStatus.COMPLETED,
                "end_date": parent.end_date or now,
                "version": version,
                "updated_at": now,
            }
        )
        writes = _Writes()
        writes.add(
            "enrolment",
            Update(
                table_keys.enrolment(parent.id),
                Expression(
                    "SET #status = :completed, end_date = if_not_exists(end_date, :now), "
                    "version = :version, updated_at = :now",
                    names={"#status": "status"},
                    values={":completed": EnrolmentStatus.COMPLETED.value, ":now": _json(now), ":version": version},
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
            Put(_change(parent.id, actor, parent.status, EnrolmentStatus.COMPLETED, note=note, now=now).to_item()),
        )
        if parent.parent_enrolment_id is not None:
            writes.add("child", Put(_child_record(after).to_item()))
        updated = {
            **_event_fields(after),
            "changes": {"status": EnrolmentStatus.COMPLETED.value, "endDate": _json(after.end_date)},
            "from_status": parent.status.value,
            "to_status": EnrolmentStatus.COMPLETED.value,
            "version": version,
            "rolled_up": True,
        }
        writes.add("event", events.record(DomainEvent.of(EventType.ENROLMENT_UPDATED, updated, actor=actor)))
        writes.add("event", events.record(_completed_event(after, actor)))
        self._transact(writes)
        logger.info("enrolment completed by roll-up", extra={"enrolment_id": parent.id})
        return after


@dataclass(frozen=True)
class _Enrolling:
    """What creating one enrolment found in the table."""

    lo: LearningObject
    learner: User
    parent: Enrolment | None
    active_id: int | None
    plan_ref: dict[str, Any] | None
    coupon: Coupon | None


def _checked_parent(
    request: NewEnrolment,
    portal_id: str,
    learner_id: str,
    parent_lo_item: dict[str, Any] | None,
    parent_item: dict[str, Any] | None,
) -> Enrolment | None:
    """The course -> module -> item hierarchy: the parent enrolment, or None at the top."""
    if not request.has_parent:
        if request.parent_enrolment_id is not None:
            raise InvalidInput("parentEnrolmentId: given without a parent learning object (parentLoId is 0)")
        return None
    parent_lo = LearningObject.from_item(parent_lo_item) if parent_lo_item else None
    if parent_lo is None or not parent_lo.available_in(portal_id) or request.lo_id not in parent_lo.children:
        raise InvalidInput(f"Learning object {request.lo_id} is not a child of learning object {request.parent_lo_id}")
    if request.parent_enrolment_id is None:
        raise InvalidInput("parentEnrolmentId: required when enrolling under a parent learning object")
    if parent_item is None:
        raise InvalidInput(f"parentEnrolmentId: enrolment {request.parent_enrolment_id} does not exist")
    parent = Enrolment.from_item(parent_item)
    if parent.user_id != learner_id or parent.portal_id != portal_id:
        raise InvalidInput(f"parentEnrolmentId: enrolment {parent.id} is not this user's")
    if parent.lo_id != request.parent_lo_id:
        raise InvalidInput(f"parentEnrolmentId: enrolment {parent.id} is not in learning object {request.parent_lo_id}")
    if parent.archived:
        raise InvalidInput(f"parentEnrolmentId: enrolment {parent.id} is archived")
    return parent


def _active_ref(enrolment: Enrolment, replaced: int | None) -> Put:
    item = {
        **table_keys.active_enrolment(enrolment.portal_id, enrolment.user_id, enrolment.lo_id),
        "entity": "active_enrolment",
        "enrolment_id": enrolment.id,
        "portal_id": enrolment.portal_id,
        "user_id": enrolment.user_id,
        "lo_id": enrolment.lo_id,
    }
    if replaced is None:
        return Put(item, not_exists())
    # The ref moves from the archived enrolment to the new one, if nobody moved it meanwhile.
    return Put(item, Expression("enrolment_id = :replaced", values={":replaced": replaced}))


def _creation_refused(
    refused: dict[str, dict[str, Any] | None], request: NewEnrolment, portal_id: str, payment: Payment
) -> int:
    """Turns a refused creation into its answer: the id that won a race, or a domain error."""
    if "active" in refused:
        stored = refused["active"]
        if not request.re_enrol and stored is not None:
            return int(stored["enrolment_id"])  # a concurrent request enrolled first
        raise ConcurrentModification("The active enrolment changed while re-enrolling; try again")
    if CREDIT_WRITE in refused:
        raise PaymentRequired(credit_token_refusal(refused[CREDIT_WRITE], portal_id, request.lo_id))
    if COUPON_WRITE in refused:
        raise PaymentRequired(f"Coupon {payment.coupon} has been used up")
    if "archive" in refused:
        raise ConcurrentModification("The enrolment to re-enrol was archived meanwhile; try again")
    raise ConcurrentModification(f"The enrolment could not be written ({', '.join(sorted(refused))}); try again")


# --- records and events ------------------------------------------------------------------


def _change(
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
        changed_at=_text(now),
        changed_by=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def _child_record(enrolment: Enrolment) -> EnrolmentChild:
    assert enrolment.parent_enrolment_id is not None
    return EnrolmentChild(
        parent_enrolment_id=enrolment.parent_enrolment_id,
        lo_id=enrolment.lo_id,
        enrolment_id=enrolment.id,
        status=enrolment.status,
    )


def _archive(enrolment_id: int, actor: str, now: datetime) -> Update:
    """Archives a replaced enrolment (kept, never deleted), if nobody archived it first."""
    return Update(
        table_keys.enrolment(enrolment_id),
        Expression(
            "SET archived = :true, archived_at = :now, archived_by = :actor, updated_at = :now, "
            "version = version + :one",
            values={":true": True, ":now": _json(now), ":actor": actor, ":one": 1},
        ),
        Expression(
            "attribute_exists(PK) AND (attribute_not_exists(archived) OR archived = :false)", values={":false": False}
        ),
    )


def _event_fields(enrolment: Enrolment) -> dict[str, Any]:
    return {
        "id": enrolment.id,
        "portal_id": enrolment.portal_id,
        "user_id": enrolment.user_id,
        "lo_id": enrolment.lo_id,
        "parent_enrolment_id": enrolment.parent_enrolment_id,
        "parent_lo_id": enrolment.parent_lo_id,
    }


def _completed_event(enrolment: Enrolment, actor: str | None) -> DomainEvent:
    data = {**_event_fields(enrolment), "end_date": _json(enrolment.end_date)}
    return DomainEvent.of(EventType.ENROLMENT_COMPLETED, data, actor=actor)


def _stored(value: Any) -> Any:
    if isinstance(value, EnrolmentStatus):
        return value.value
    return _json(value)


_ATTRIBUTE_FIELDS = {"start_date": "startDate", "end_date": "endDate", "due_date": "dueDate", "passed": "pass"}


def _field_name(attribute: str) -> str:
    """An attribute's name as the update seed calls the field."""
    return _ATTRIBUTE_FIELDS.get(attribute, attribute)
