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

from planhub import events
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
)
from planhub.enrolments.payments import (
    COUPON_WRITE,
    Payment,
    refund,
    settle,
)
from planhub.enrolments.plan_link import link_active_plan
from planhub.enrolments.repository import EnrolmentRepository
from planhub.enrolments.roll_up import RollUp
from planhub.enrolments.updating import Updating
from planhub.enrolments.withdrawal import Withdrawing
from planhub.enrolments.writes import (
    TRANSACTION_ATTEMPTS,
    UNARCHIVED,
    LabelledWrites,
    as_json,
    child_record,
    completed_event,
    event_fields,
    history_entry,
    utc_now,
)
from planhub.errors import (
    ConcurrentModification,
    Forbidden,
    NotFound,
    PlanhubError,
)
from planhub.events import DomainEvent, EventType
from planhub.events.idempotency import exactly_once
from planhub.ids import new_numeric_id
from planhub.payments import PaymentGateway, StripeGateway
from planhub.records.repository import RecordRepository
from planhub.records.user import User
from planhub.settings import TableEnvironment
from planhub.storage import Check, Expression, Put, Table, TransactionCanceled, Update, not_exists
from planhub.storage import keys as table_keys
from planhub.storage.keys import Key

ROLL_UP_CONSUMER = "enrolment-completion-roll-up"


class EnrolmentService:
    def __init__(self, table: Table, gateway: PaymentGateway | None = None) -> None:
        self.table = table
        self.repository = EnrolmentRepository(table)
        self.records = RecordRepository(table)
        # The function's Stripe settings are read now, at import; the SDK on the first charge.
        self.gateway = gateway if gateway is not None else StripeGateway.from_environment()
        self.roll_ups = RollUp(table, self.repository)
        self.updates = Updating(table, self.repository, self.roll_ups)
        self.withdrawing = Withdrawing(table, self.repository, self.records)

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
            self.roll_ups.complete_chain(parent_id, claims.sub)
        return outcome

    # --- update ------------------------------------------------------------------------

    def update(
        self, claims: Claims, enrolment_id: int, body: EnrolmentUpdateBody, *, if_match: tuple[str, ...] | None = None
    ) -> None:
        """Applies the request's fields under the permission rules, never over a change it did not see."""
        self.updates.apply(claims, enrolment_id, body, if_match=if_match)

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
        lo, user = self.repository.deciding_records(enrolment, with_learner=claims.sub != enrolment.user_id)
        permissions.require_may_see(permissions.capacities(claims, enrolment, user, lo))

    # --- withdraw ------------------------------------------------------------------------

    def withdraw(self, claims: Claims, enrolment_id: int) -> None:
        """Archives the enrolment and its open descendants in one transaction."""
        self.withdrawing.withdraw(claims, enrolment_id)

    # --- completion roll-up ------------------------------------------------------------

    def roll_up(self, event: DomainEvent) -> None:
        """Consumer of `enrolment completed`: completes the parent when all its children are.

        One level per event: the parent's own `enrolment completed` carries it further up.
        """
        self._roll_up_once(event=event.model_dump(mode="json"))

    @functools.cached_property
    def _roll_up_once(self) -> Callable[..., None]:
        # Built on first use: API functions never pay for the idempotency store.
        once: Callable[..., None] = exactly_once(ROLL_UP_CONSUMER, self.table.name)(self._roll_up_event)
        return once

    def _roll_up_event(self, event: dict[str, Any]) -> None:
        # Stays a method of this class: Powertools keys the records of events already rolled
        # up by the method's qualified name, which moving it would change.
        parent_id = event.get("data", {}).get("parent_enrolment_id")
        if parent_id is not None:
            self.roll_ups.complete_when_children_are(int(parent_id), event.get("actor"))


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
