"""Enrolment use cases (docs/product.md "Enrolments"): enrol (one LO, many, on behalf of a student),
update under the seed's permission table, read an enrolment and its history, and roll a
completion up to the parent enrolments.

Every state change is one transaction holding the change, its history entry, the parent's
record of its child, the plan link, the payment's writes and the domain events, so a
credit token or a coupon use is never spent without its enrolment, nor the other way round.
A many-LO request's enrolments share transactions while they touch different items.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from planhub import conditional, events
from planhub.auth.claims import Claims
from planhub.enrolments import permissions
from planhub.enrolments.creation import (
    Creation,
    CreationBatch,
    Gathered,
    NewEnrolment,
    active_ref,
    checked_creation,
    creation_refused,
    failed_item,
    keys_without_portal,
    learner_keys,
)
from planhub.enrolments.models import (
    OPEN_STATUSES,
    CreatableStatus,
    Enrolment,
    EnrolmentChangeView,
    EnrolmentCreateBody,
    EnrolmentHistoryPage,
    EnrolmentId,
    EnrolmentPage,
    EnrolmentsCreateBody,
    EnrolmentStatus,
    EnrolmentUpdateBody,
    EnrolmentView,
    ItemOutcomes,
    requested_status,
)
from planhub.enrolments.payments import (
    COUPON_WRITE,
    Payment,
    refund,
    settle,
)
from planhub.enrolments.plan_link import link_active_plan
from planhub.enrolments.repository import EnrolmentRepository
from planhub.enrolments.writes import (
    TRANSACTION_ATTEMPTS,
    UNARCHIVED,
    LabelledWrites,
    as_json,
    child_record,
    completed_event,
    event_fields,
    history_entry,
    transact,
    utc_now,
)
from planhub.errors import (
    ConcurrentModification,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PlanhubError,
    PreconditionFailed,
)
from planhub.events import DomainEvent, EventType
from planhub.events.idempotency import exactly_once
from planhub.ids import new_numeric_id
from planhub.observability import logger
from planhub.payments import PaymentGateway, StripeGateway
from planhub.records.learning_object import LearningObject, LoType
from planhub.records.repository import RecordRepository
from planhub.records.user import User
from planhub.settings import TableEnvironment
from planhub.storage import Check, Delete, Expression, Put, Table, TransactionCanceled, Update, not_exists
from planhub.storage import keys as table_keys
from planhub.storage.keys import Key
from planhub.storage.table import TRANSACTION_LIMIT

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


class EnrolmentService:
    def __init__(self, table: Table, gateway: PaymentGateway | None = None) -> None:
        self.table = table
        self.repository = EnrolmentRepository(table)
        self.records = RecordRepository(table)
        # The function's Stripe settings are read now, at import; the SDK on the first charge.
        self.gateway = gateway if gateway is not None else StripeGateway.from_environment()

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
        gathered = self._gather(claims, instance, student_email, [request], body.coupon)
        if gathered.student is not None:
            permissions.require_may_enrol(claims, gathered.portal.id, gathered.student)
        payment = Payment.for_single(body.paymentMethod, body.coupon, body.paymentOptions)
        prepared = self._prepare(claims, gathered, gathered.student, request, payment, notify=body.notify)
        if isinstance(prepared, int):
            return EnrolmentId(id=prepared)  # the active enrolment
        [outcome] = self._create([prepared])
        return EnrolmentId(id=self._written(claims, prepared, outcome, recalculate=body.reCalculate))

    def enrol_many(
        self, claims: Claims, instance: str, body: EnrolmentsCreateBody, *, student_email: str | None = None
    ) -> ItemOutcomes:
        """Each item on its own: one item's failure never undoes another's enrolment.

        Every item's records are read at once, with the portal and the learner.
        """
        requests = [NewEnrolment.of_item(item) for item in body.items]
        gathered = self._gather(claims, instance, student_email, requests, body.coupon)
        portal = gathered.portal
        if gathered.student is not None:
            permissions.require_may_enrol(claims, portal.id, gathered.student)
            learner = gathered.student
        else:
            found = gathered.found.get(table_keys.user(portal.id, claims.sub))
            if found is None:
                raise Forbidden(f"You are not a user of portal {portal.id}")
            learner = User.from_item(found)
        outcomes: ItemOutcomes = {}
        creations: list[tuple[str, Creation]] = []
        for item, request in zip(body.items, requests, strict=True):
            outcomes[item.loId] = {}  # answered in the request's order
            try:
                payment = Payment.for_item(item.loId, body.paymentMethod, body.coupon, body.paymentOptions)
                prepared = self._prepare(claims, gathered, learner, request, payment, notify=body.notify)
            except Exception as error:  # noqa: BLE001 - the other items' outcomes must still be answered
                outcomes[item.loId] = failed_item(item.loId, error)
                continue
            if isinstance(prepared, int):
                outcomes[item.loId] = {"200": {"id": prepared}}  # the active enrolment
            else:
                creations.append((item.loId, prepared))
        # With reCalculate, each item's parents are completed (or not) before the next item is
        # written, as when the items come one by one: a later item may be a child they count.
        together = [[c] for c in creations] if body.reCalculate else [creations]
        for group in together:
            written = self._create([creation for _, creation in group])
            for (lo_id, creation), outcome in zip(group, written, strict=True):
                try:
                    enrolment_id = self._written(claims, creation, outcome, recalculate=body.reCalculate)
                except Exception as error:  # noqa: BLE001 - the other items' outcomes must still be answered
                    outcomes[lo_id] = failed_item(lo_id, error)
                else:
                    outcomes[lo_id] = {"200": {"id": enrolment_id}}
        return outcomes

    def _gather(
        self,
        claims: Claims,
        instance: str,
        student_email: str | None,
        requests: list[NewEnrolment],
        coupon: str | None,
    ) -> Gathered:
        """Every read the creation needs: one BatchGetItem when `instance` is the portal's id.

        The keys that hold the portal's id (the caller's user record, the active enrolment and
        plan refs) are built from `instance` and read with the portal itself. When `instance`
        is the portal's name, its alias gives the id and those keys are read again: one more
        BatchGetItem (and one more Query for a student named by email). A student's id comes
        from the email index, so a student costs a Query before the BatchGetItem.
        """
        email = student_email  # the resolver decoded the path's percent-encoding (`%40`)
        own = email is None

        student: User | None = None

        def keys_of_learner(portal_id: str) -> list[Key]:
            # A student is known by email: their id, in the keys, comes from the portal's index.
            nonlocal student
            if email is not None:
                student = self._find_student(portal_id, email)
            learner_id = claims.sub if own else (student.id if student else None)
            return learner_keys(portal_id, learner_id, requests, own=own)

        portal, found = self.records.read_in_portal(
            instance, keys_of_learner, keys_without_portal(requests, coupon), consistent=False
        )
        if email is not None and student is None:
            raise NotFound(f"User {email} not found in portal {portal.id}")
        return Gathered(portal=portal, student=student, found=found)

    def _find_student(self, portal_id: str, email: str) -> User | None:
        try:
            return self.records.user_by_email(portal_id, email)
        except NotFound:
            return None

    def _prepare(
        self,
        claims: Claims,
        gathered: Gathered,
        learner: User | None,
        request: NewEnrolment,
        payment: Payment,
        *,
        notify: bool,
    ) -> int | Creation:
        """The active enrolment's id, or the new enrolment with its writes (and its payment made)."""
        portal = gathered.portal
        portal_id = portal.id
        context = checked_creation(claims, gathered, learner, request, payment)
        if context.active_id is not None and not request.re_enrol:
            return context.active_id
        now = utc_now()
        enrolment_id = new_numeric_id()
        settlement = settle(
            self.gateway,
            payment,
            lo=context.lo,
            portal_id=portal_id,
            user_id=context.learner.id,
            enrolment_id=enrolment_id,
            coupon=context.coupon,
            now=now,
        )
        if COUPON_WRITE in settlement.writes:
            gathered.coupon_uses += 1  # a later item of the request sees the use this one takes
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
            # Created in progress without a start date: it starts now (docs/product.md "Enrolments").
            start_date=request.start_date or (now if request.status is EnrolmentStatus.IN_PROGRESS else None),
            due_date=request.due_date,
            end_date=now if request.status is EnrolmentStatus.COMPLETED else None,
            data=request.data,
            created_at=now,
            created_by=claims.sub,
            updated_at=now,
        )
        writes = LabelledWrites()
        writes.add("enrolment", Put(enrolment.to_item(), not_exists()))
        writes.add("active", active_ref(enrolment, context.active_id))
        if context.active_id is not None:
            writes.add("archive", _archive(context.active_id, enrolment, claims.sub, now))
        writes.add(
            "history",
            Put(history_entry(enrolment.id, claims.sub, None, enrolment.status, note=None, now=now).to_item()),
        )
        if context.parent is not None:
            writes.add("child", Put(child_record(enrolment).to_item()))
            if context.parent.id != context.active_id:  # else the archive's own condition checks it
                # Read before the transaction, so checked again in it: a parent archived meanwhile
                # (re-enrolled) must not be given a child.
                writes.add("parent", Check(table_keys.enrolment(context.parent.id), UNARCHIVED))
        if plan_link is not None:
            writes.add("plan", plan_link.write)
        for label, write in settlement.writes.items():
            writes.add(label, write)
        # The email templates' vocabulary (planhub.notifications) besides the enrolment's own fields.
        created = {
            **event_fields(enrolment),
            "status": enrolment.status.value,
            "plan_id": enrolment.plan_id,
            "notify": notify,
            "replaced_enrolment_id": context.active_id,
            "payment": settlement.summary or None,
            "enrolment": {
                "id": enrolment.id,
                "status": enrolment.status.value,
                "due_date": as_json(enrolment.due_date),
                "start_date": as_json(enrolment.start_date),
            },
            "recipient": {"user_id": context.learner.id, "email": context.learner.email, "name": context.learner.name},
            "learning_object": {"id": context.lo.id, "title": context.lo.title, "type": context.lo.type.value},
            "portal": {"id": portal.id, "name": portal.name, "title": portal.title or portal.name},
        }
        writes.add("event", events.record(DomainEvent.of(EventType.ENROLMENT_CREATED, created, actor=claims.sub)))
        if enrolment.status is EnrolmentStatus.COMPLETED:
            writes.add("event", events.record(completed_event(enrolment, claims.sub)))
        return Creation(request=request, payment=payment, enrolment=enrolment, settlement=settlement, writes=writes)

    def _create(self, creations: list[Creation]) -> list[int | Exception]:
        """Writes the creations in as few transactions as their items allow; each answered on its own.

        Creations share a transaction (up to 100 writes) while they touch different items; one
        that would touch an item already in it (a coupon another item uses, a parent another
        item archives) starts the next, so such creations are written in the request's order.
        Per creation the answer is its id, the id of an active enrolment that won a race, or
        the error that refused it.
        """
        outcomes: dict[int, int | Exception] = {}
        batch = CreationBatch()
        for position, creation in enumerate(creations):
            if not batch.fits(creation):
                self._write_together(creations, batch.positions, outcomes)
                batch = CreationBatch()
            batch.add(position, creation)
        if batch.positions:
            self._write_together(creations, batch.positions, outcomes)
        return [outcomes[position] for position in range(len(creations))]

    def _write_together(
        self, creations: list[Creation], positions: list[int], outcomes: dict[int, int | Exception]
    ) -> None:
        """One transaction for the creations at `positions`. When some of them are refused, they
        are answered from the items their failed conditions give back, and the transaction is
        sent again without them: one creation's refusal never undoes another's enrolment."""
        pending = positions
        conflicts = 0
        while pending:
            batch = CreationBatch.of(creations, pending)
            try:
                self.table.transact(batch.writes)
            except TransactionCanceled as canceled:
                if canceled.is_conflict and conflicts < TRANSACTION_ATTEMPTS - 1:
                    time.sleep(0.02 * 2**conflicts)
                    conflicts += 1
                    continue
                # Without a failed condition to tell whose write it was, the whole transaction is refused.
                refused = batch.refused(canceled) or {position: {} for position in pending}
                for position, items in refused.items():
                    outcomes[position] = self._refused(creations[position], items, canceled)
                pending = [position for position in pending if position not in refused]
            except Exception as error:  # noqa: BLE001 - each creation is answered with it, after its refund
                for position in pending:
                    creation = creations[position]
                    refund(
                        self.table,
                        self.gateway,
                        creation.settlement,
                        creation.enrolment.id,
                        actor=creation.enrolment.created_by,
                    )
                    outcomes[position] = error
                return
            else:
                for position in pending:
                    outcomes[position] = creations[position].enrolment.id
                return

    def _refused(
        self, creation: Creation, refused: dict[str, dict[str, Any] | None], canceled: TransactionCanceled
    ) -> int | Exception:
        refund(
            self.table, self.gateway, creation.settlement, creation.enrolment.id, actor=creation.enrolment.created_by
        )
        if canceled.is_conflict:
            error: PlanhubError = ConcurrentModification("Concurrent requests got in the way; try again")
        else:
            try:
                return creation_refused(refused, creation.request, creation.enrolment, creation.payment)
            except PlanhubError as refusal:
                error = refusal
        error.__cause__ = canceled
        return error

    def _written(self, claims: Claims, creation: Creation, outcome: int | Exception, *, recalculate: bool) -> int:
        """The id a creation is answered with, its parents' completion recomputed if asked; or its error, raised."""
        if isinstance(outcome, Exception):
            raise outcome
        parent_id = creation.enrolment.parent_enrolment_id
        if recalculate and outcome == creation.enrolment.id and parent_id is not None:
            self._complete_chain(parent_id, claims.sub)
        return outcome

    # --- update ------------------------------------------------------------------------

    def update(
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
        for attempt in range(MERGE_ATTEMPTS):
            if enrolment.archived:
                raise Conflict(f"Enrolment {enrolment_id} is archived: it no longer changes")
            lo_check = None
            if lo is None:
                decided, lo_check = _decided_without_records(claims, enrolment, requested, to_status)
                if not decided and (lo_check is None or not given):
                    lo, user = self._lo_and_learner(claims, enrolment)
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
                    lo = self._lo_of(enrolment, canceled.reasons[_LO_CHECK].item)
                    continue
                if if_match is not None and not canceled.is_conflict and 0 in canceled.failed_conditions():
                    raise PreconditionFailed(
                        f"Enrolment {enrolment_id} was changed meanwhile: If-Match no longer matches; read it again"
                    ) from canceled
                enrolment = self._after_refused_update(canceled, enrolment, changes, attempt)
        if body.reCalculate and enrolment.parent_enrolment_id is not None:
            self._complete_chain(enrolment.parent_enrolment_id, claims.sub)

    def _lo_and_learner(self, claims: Claims, enrolment: Enrolment) -> tuple[LearningObject, User | None]:
        """The LO (type, assessors) and, unless the caller is the learner, the learner (managers)."""
        lo_key = table_keys.learning_object(enrolment.lo_id)
        user_key = None if claims.sub == enrolment.user_id else table_keys.user(enrolment.portal_id, enrolment.user_id)
        found = self.table.found([lo_key, user_key])
        user_item = found.get(user_key)
        return self._lo_of(enrolment, found.get(lo_key)), User.from_item(user_item) if user_item else None

    @staticmethod
    def _lo_of(enrolment: Enrolment, item: dict[str, Any] | None) -> LearningObject:
        if item is None:
            raise NotFound(f"Learning object {enrolment.lo_id} of enrolment {enrolment.id} not found")
        return LearningObject.from_item(item)

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
        touched = set(changes) | ({"status", "end_date", "start_date"} if "status" in changes else set())
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

    def of_user(
        self,
        claims: Claims,
        instance: str,
        user_id: str,
        *,
        status: EnrolmentStatus | None,
        lo_id: str | None,
        archived: bool,
        limit: int,
        cursor: str | None,
    ) -> EnrolmentPage:
        """A user's enrolments (docs/product.md "Everyday operations"): one BatchGetItem (portal, user), one Query."""
        portal, found = self.records.read_in_portal(
            instance, lambda portal_id: [table_keys.user(portal_id, user_id)], consistent=False
        )
        user_item = found.get(table_keys.user(portal.id, user_id))
        user = User.from_item(user_item) if user_item else None
        if not permissions.may_see_users_enrolments(claims, portal.id, user_id, user):
            raise Forbidden("Only the user, their managers, portal admins and staff may see their enrolments")
        enrolments, next_cursor = self.repository.of_user(
            portal.id,
            user_id,
            archived=archived,
            status=status.value if status else None,
            lo_id=lo_id,
            limit=limit,
            cursor=cursor,
        )
        return EnrolmentPage(data=[EnrolmentView.of(e) for e in enrolments], cursor=next_cursor)

    def active_of(self, claims: Claims, instance: str, lo_id: str, user_id: str) -> EnrolmentView:
        """The user's active enrolment of the LO: one BatchGetItem (portal, user, active ref), one GetItem."""
        portal, found = self.records.read_in_portal(
            instance,
            lambda portal_id: [
                table_keys.user(portal_id, user_id),
                table_keys.active_enrolment(portal_id, user_id, lo_id),
            ],
            consistent=False,
        )
        user_item = found.get(table_keys.user(portal.id, user_id))
        user = User.from_item(user_item) if user_item else None
        sees_user = permissions.may_see_users_enrolments(claims, portal.id, user_id, user)
        ref = found.get(table_keys.active_enrolment(portal.id, user_id, lo_id))
        enrolment = self.repository.find(int(ref["enrolment_id"])) if ref else None
        if enrolment is None or enrolment.archived:
            if not sees_user:
                raise Forbidden("Only the user, their managers, portal admins and staff may see their enrolments")
            raise NotFound(f"User {user_id} has no active enrolment of learning object {lo_id}")
        if not sees_user:
            self._require_may_see(claims, enrolment)  # the LO's assessors
        return EnrolmentView.of(enrolment)

    def _require_may_see(self, claims: Claims, enrolment: Enrolment) -> None:
        if permissions.may_see_without_records(claims, enrolment):
            return
        lo, user = self._lo_and_learner(claims, enrolment)
        permissions.require_may_see(permissions.capacities(claims, enrolment, user, lo))

    # --- withdraw ------------------------------------------------------------------------

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


def _archive(enrolment_id: int, replacement: Enrolment, actor: str, now: datetime) -> Update:
    """Archives a replaced enrolment (kept, never deleted), if nobody archived it first.

    The replaced enrolment is the same user's of the same LO in the same portal as its replacement.
    """
    index = table_keys.enrolment_archived_index_keys(
        replacement.portal_id, replacement.user_id, replacement.lo_id, enrolment_id
    )
    return Update(
        table_keys.enrolment(enrolment_id),
        Expression(
            "SET archived = :true, archived_at = :now, archived_by = :actor, updated_at = :now, "
            "version = version + :one, GSI1PK = :gsi1pk, GSI2PK = :gsi2pk, GSI2SK = :gsi2sk",
            values={
                ":true": True,
                ":now": as_json(now),
                ":actor": actor,
                ":one": 1,
                ":gsi1pk": index["GSI1PK"],
                ":gsi2pk": index["GSI2PK"],
                ":gsi2sk": index["GSI2SK"],
            },
        ),
        UNARCHIVED,
    )


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


def _stored(value: Any) -> Any:
    if isinstance(value, EnrolmentStatus):
        return value.value
    return as_json(value)


_ATTRIBUTE_FIELDS = {"start_date": "startDate", "end_date": "endDate", "due_date": "dueDate", "passed": "pass"}


def _field_name(attribute: str) -> str:
    """An attribute's name as the update seed calls the field."""
    return _ATTRIBUTE_FIELDS.get(attribute, attribute)
