"""Enrolling (docs/product.md "Enrolments", decision enrolments-create.md): one LO, many, or on
behalf of a student, in one straight path:

1. gather: every record the request needs, read at once (`_gather`);
2. decide: per item, its checks, the enrolment, its writes and what paying takes
   (`creation.decide`, pure);
3. settle: the Stripe charge, if paying takes one (`payments.settle`);
4. write: one transaction per batch of items, each holding its change, its payment's writes
   and its events; an item the transaction refuses is answered from the items its failed
   conditions give back, and its charge refunded through the durable refund outbox event.

A credit token or a coupon use is thus never spent without its enrolment, nor the other way
round. A many-LO request's enrolments share transactions while they touch different items
(a transaction touches an item once, so an item touching one already in the batch waits for
the next).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from planhub.auth.claims import Claims
from planhub.enrolments import permissions
from planhub.enrolments.creation import (
    Gathered,
    NewEnrolment,
    PaidCreation,
    checked_creation,
    creation_refused,
    decide,
)
from planhub.enrolments.models import (
    CreatableStatus,
    EnrolmentCreateBody,
    EnrolmentId,
    EnrolmentsCreateBody,
    EnrolmentStatus,
    ItemOutcomes,
)
from planhub.enrolments.payments import COUPON_WRITE, Payment, refund, settle
from planhub.enrolments.roll_up import RollUp
from planhub.enrolments.writes import TRANSACTION_ATTEMPTS, utc_now
from planhub.errors import ConcurrentModification, Forbidden, NotFound, PlanhubError
from planhub.http.errors import status_of
from planhub.ids import new_numeric_id
from planhub.observability import logger
from planhub.payments import PaymentGateway
from planhub.records.repository import RecordRepository
from planhub.records.user import User
from planhub.storage import Check, Put, Table, TransactionCanceled, Write
from planhub.storage import keys as table_keys
from planhub.storage.fresh_ids import FRESH_ID_ATTEMPTS
from planhub.storage.keys import Key
from planhub.storage.table import TRANSACTION_LIMIT


class _IdTaken(ConcurrentModification):
    """A creation refused because another enrolment was written under its new id meanwhile."""


class Enrolling:
    def __init__(self, table: Table, records: RecordRepository, gateway: PaymentGateway, roll_ups: RollUp) -> None:
        self.table = table
        self.records = records
        self.gateway = gateway
        self.roll_ups = roll_ups

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
        paid = self._decide_and_settle(claims, gathered, gathered.student, request, payment, notify=body.notify)
        if isinstance(paid, int):
            return EnrolmentId(id=paid)  # the active enrolment
        [outcome] = self._write([paid])
        paid, outcome = self._with_fresh_id(
            paid,
            outcome,
            gathered,
            lambda c: self._decide_and_settle(
                claims, gathered, gathered.student, c.request, c.payment, notify=body.notify
            ),
        )
        return EnrolmentId(id=self._answer(claims, paid, outcome, recalculate=body.reCalculate))

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
        creations: list[tuple[str, PaidCreation]] = []
        for item, request in zip(body.items, requests, strict=True):
            outcomes[item.loId] = {}  # answered in the request's order
            try:
                payment = Payment.for_item(item.loId, body.paymentMethod, body.coupon, body.paymentOptions)
                paid = self._decide_and_settle(claims, gathered, learner, request, payment, notify=body.notify)
            except Exception as error:  # noqa: BLE001 - the other items' outcomes must still be answered
                outcomes[item.loId] = failed_item(item.loId, error)
                continue
            if isinstance(paid, int):
                outcomes[item.loId] = {"200": {"id": paid}}  # the active enrolment
            else:
                creations.append((item.loId, paid))
        # With reCalculate, each item's parents are completed (or not) before the next item is
        # written, as when the items come one by one: a later item may be a child they count.
        together = [[c] for c in creations] if body.reCalculate else [creations]
        for group in together:
            written = self._write([creation for _, creation in group])
            for (lo_id, creation), outcome in zip(group, written, strict=True):
                creation, outcome = self._with_fresh_id(  # noqa: PLW2901 - the creation as finally written
                    creation,
                    outcome,
                    gathered,
                    lambda c: self._decide_and_settle(
                        claims, gathered, learner, c.request, c.payment, notify=body.notify
                    ),
                )
                try:
                    enrolment_id = self._answer(claims, creation, outcome, recalculate=body.reCalculate)
                except Exception as error:  # noqa: BLE001 - the other items' outcomes must still be answered
                    outcomes[lo_id] = failed_item(lo_id, error)
                else:
                    outcomes[lo_id] = {"200": {"id": enrolment_id}}
        return outcomes

    # --- 1. gather ---

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

    # --- 2. decide and 3. settle, per item ---

    def _decide_and_settle(
        self,
        claims: Claims,
        gathered: Gathered,
        learner: User | None,
        request: NewEnrolment,
        payment: Payment,
        *,
        notify: bool,
    ) -> int | PaidCreation:
        """The active enrolment's id, or the new enrolment decided on and paid for, ready to be written."""
        checked = checked_creation(claims, gathered, learner, request, payment)
        if checked.active_id is not None and not request.re_enrol:
            return checked.active_id
        creation = decide(
            claims,
            gathered.portal,
            checked,
            request,
            payment,
            enrolment_id=new_numeric_id(),
            now=utc_now(),
            notify=notify,
        )
        settlement = settle(self.gateway, creation.pricing)
        if creation.takes_coupon_use:
            gathered.coupon_uses += 1  # a later item of the request sees the use this one takes
        return creation.paid(settlement)

    # --- 4. write ---

    def _write(self, creations: list[PaidCreation]) -> list[int | Exception]:
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
        self, creations: list[PaidCreation], positions: list[int], outcomes: dict[int, int | Exception]
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
                        creation.charge,
                        creation.enrolment.id,
                        actor=creation.enrolment.created_by,
                    )
                    outcomes[position] = error
                return
            else:
                for position in pending:
                    outcomes[position] = creations[position].enrolment.id
                return

    def _with_fresh_id(
        self,
        creation: PaidCreation,
        outcome: int | Exception,
        gathered: Gathered,
        again: Callable[[PaidCreation], int | PaidCreation],
    ) -> tuple[PaidCreation, int | Exception]:
        """A creation refused only because its new id was taken (two containers drew the id in the same
        second: planhub/ids.py) is decided again under a new id, its payment (refunded) made again, at
        most FRESH_ID_ATTEMPTS ids in all; answers the creation last written and its outcome."""
        for _ in range(FRESH_ID_ATTEMPTS - 1):
            if not isinstance(outcome, _IdTaken):
                break
            logger.warning("a fresh enrolment id was taken; drawing another", extra={"id": creation.enrolment.id})
            if COUPON_WRITE in creation.writes.labels:
                gathered.coupon_uses -= 1  # the refused creation's coupon use was never written
            redone = again(creation)
            if isinstance(redone, int):
                return creation, redone  # an active enrolment meanwhile
            creation = redone
            [outcome] = self._write([creation])
        return creation, outcome

    def _refused(
        self, creation: PaidCreation, refused: dict[str, dict[str, Any] | None], canceled: TransactionCanceled
    ) -> int | Exception:
        refund(self.table, self.gateway, creation.charge, creation.enrolment.id, actor=creation.enrolment.created_by)
        if set(refused) == {"enrolment"}:  # only the new enrolment's attribute_not_exists: its id is taken
            error: PlanhubError = _IdTaken(f"Enrolment id {creation.enrolment.id} was taken meanwhile; try again")
        elif canceled.is_conflict:
            error = ConcurrentModification("Concurrent requests got in the way; try again")
        else:
            try:
                return creation_refused(refused, creation.request, creation.enrolment, creation.payment)
            except PlanhubError as refusal:
                error = refusal
        error.__cause__ = canceled
        return error

    def _answer(self, claims: Claims, creation: PaidCreation, outcome: int | Exception, *, recalculate: bool) -> int:
        """The id a creation is answered with, its parents' completion recomputed if asked; or its error, raised."""
        if isinstance(outcome, Exception):
            raise outcome
        parent_id = creation.enrolment.parent_enrolment_id
        if recalculate and outcome == creation.enrolment.id and parent_id is not None:
            self.roll_ups.complete_chain(parent_id, claims.sub)
        return outcome


class CreationBatch:
    """Creations' writes for one transaction, each write remembering whose it is.

    A transaction may touch an item once: a creation fits while its writes touch items not
    yet in the batch, except a check equal to one already in it (siblings' parent), sent once.
    """

    def __init__(self) -> None:
        self.positions: list[int] = []
        self.writes: list[Write] = []
        self._owners: list[list[tuple[int, str]]] = []  # per write: (creation's position, label)
        self._at: dict[tuple[str, str], int] = {}  # item -> its write's index

    @classmethod
    def of(cls, creations: list[PaidCreation], positions: list[int]) -> CreationBatch:
        batch = cls()
        for position in positions:
            batch.add(position, creations[position])
        return batch

    def fits(self, creation: PaidCreation) -> bool:
        added = 0
        for write in creation.writes.writes:
            at = self._at.get(item_of(write))
            if at is None:
                added += 1
            elif not (isinstance(write, Check) and write == self.writes[at]):
                return False
        return len(self.writes) + added <= TRANSACTION_LIMIT

    def add(self, position: int, creation: PaidCreation) -> None:
        self.positions.append(position)
        for label, write in zip(creation.writes.labels, creation.writes.writes, strict=True):
            item = item_of(write)
            at = self._at.get(item)
            if at is None:
                at = self._at[item] = len(self.writes)
                self.writes.append(write)
                self._owners.append([])
            self._owners[at].append((position, label))

    def refused(self, canceled: TransactionCanceled) -> dict[int, dict[str, dict[str, Any] | None]]:
        """Position -> {label: the stored item}, for every creation a failed condition refused."""
        refused: dict[int, dict[str, dict[str, Any] | None]] = {}
        for index in canceled.failed_conditions():
            for position, label in self._owners[index] if index < len(self._owners) else []:
                refused.setdefault(position, {})[label] = canceled.reasons[index].item
        return refused


def item_of(write: Write) -> tuple[str, str]:
    key = write.item if isinstance(write, Put) else write.key
    return str(key["PK"]), str(key["SK"])


def failed_item(lo_id: str, error: Exception) -> dict[str, dict[str, int | str]]:
    """A many-LO item's answer when it was not enrolled: its error's status code and message."""
    if isinstance(error, PlanhubError):
        return {str(int(status_of(error))): {"message": error.message}}
    logger.error("enrolment item failed", extra={"lo_id": lo_id}, exc_info=error)
    return {"500": {"message": "Internal error: this item was not enrolled"}}


def keys_without_portal(requests: list[NewEnrolment], coupon: str | None) -> list[Key]:
    """The keys of a creation that do not hold the portal's id: LOs, parent enrolments, the coupon."""
    keys = []
    for request in requests:
        keys.append(table_keys.learning_object(request.lo_id))
        if request.has_parent:
            keys.append(table_keys.learning_object(request.parent_lo_id))
        if request.parent_enrolment_id:
            keys.append(table_keys.enrolment(request.parent_enrolment_id))
    if coupon:
        keys.append(table_keys.coupon(coupon))
    return keys


def learner_keys(portal_id: str, learner_id: str | None, requests: list[NewEnrolment], *, own: bool) -> list[Key]:
    """The keys that hold the portal's id: the learner's user record when they enrol themselves,
    and their active enrolment and plan refs of each LO; none while the learner is unknown
    (a student the email index did not find)."""
    if learner_id is None:
        return []
    keys = [table_keys.user(portal_id, learner_id)] if own else []
    for request in requests:
        keys.append(table_keys.active_enrolment(portal_id, learner_id, request.lo_id))
        keys.append(table_keys.active_plan(portal_id, learner_id, request.lo_id))
    return keys
