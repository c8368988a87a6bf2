"""Creating enrolments: what a creating request reads, the checks each item passes in the
order its refusals take precedence, and the batches that let many items share transactions
(a transaction touches an item once, so an item touching one already in the batch waits for
the next). `EnrolmentService` drives it: read once, check, pay, write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from planhub.auth.claims import Claims
from planhub.enrolments.models import (
    NO_PARENT,
    Enrolment,
    EnrolmentItem,
    EnrolmentStatus,
)
from planhub.enrolments.payments import (
    COUPON_WRITE,
    CREDIT_WRITE,
    Payment,
    Settlement,
    credit_token_refusal,
)
from planhub.enrolments.writes import LabelledWrites
from planhub.errors import (
    ConcurrentModification,
    Forbidden,
    InvalidInput,
    NotFound,
    PaymentRequired,
    PlanhubError,
)
from planhub.http.errors import status_of
from planhub.observability import logger
from planhub.records.coupon import Coupon
from planhub.records.learning_object import LearningObject
from planhub.records.portal import Portal
from planhub.records.user import User
from planhub.storage import Check, Expression, Found, Put, TransactionCanceled, Write, not_exists
from planhub.storage import keys as table_keys
from planhub.storage.keys import Key
from planhub.storage.table import TRANSACTION_LIMIT


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


@dataclass
class Gathered:
    """What a creating request read: its portal, the student it names, every item's records."""

    portal: Portal
    student: User | None
    found: Found
    coupon_uses: int = 0  # uses of the request's coupon its earlier items take


@dataclass(frozen=True)
class Enrolling:
    """What creating one enrolment found in the table."""

    lo: LearningObject
    learner: User
    parent: Enrolment | None
    active_id: int | None
    plan_ref: dict[str, Any] | None
    coupon: Coupon | None


@dataclass(frozen=True)
class Creation:
    """One enrolment ready to be written: its writes, and the payment already made for it."""

    request: NewEnrolment
    payment: Payment
    enrolment: Enrolment
    settlement: Settlement
    writes: LabelledWrites


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
    def of(cls, creations: list[Creation], positions: list[int]) -> CreationBatch:
        batch = cls()
        for position in positions:
            batch.add(position, creations[position])
        return batch

    def fits(self, creation: Creation) -> bool:
        added = 0
        for write in creation.writes.writes:
            at = self._at.get(item_of(write))
            if at is None:
                added += 1
            elif not (isinstance(write, Check) and write == self.writes[at]):
                return False
        return len(self.writes) + added <= TRANSACTION_LIMIT

    def add(self, position: int, creation: Creation) -> None:
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


def checked_creation(
    claims: Claims, gathered: Gathered, learner: User | None, request: NewEnrolment, payment: Payment
) -> Enrolling:
    """One creation's records, checked in the order its refusals take precedence."""
    found = gathered.found
    portal_id = gathered.portal.id
    learner_id = learner.id if learner else claims.sub
    lo_item = found.get(table_keys.learning_object(request.lo_id))
    lo = LearningObject.from_item(lo_item) if lo_item else None
    if lo is None or not lo.available_in(portal_id):
        raise NotFound(f"Learning object {request.lo_id} not found in portal {portal_id}")
    if learner is None:
        learner_item = found.get(table_keys.user(portal_id, learner_id))
        if learner_item is None:
            raise Forbidden(f"You are not a user of portal {portal_id}")
        learner = User.from_item(learner_item)
    parent_lo_item = found.get(table_keys.learning_object(request.parent_lo_id)) if request.has_parent else None
    parent_item = found.get(table_keys.enrolment(request.parent_enrolment_id)) if request.parent_enrolment_id else None
    parent = checked_parent(request, portal_id, learner_id, parent_lo_item, parent_item)
    active = found.get(table_keys.active_enrolment(portal_id, learner_id, request.lo_id))
    coupon_item = found.get(table_keys.coupon(payment.coupon)) if payment.coupon else None
    coupon = Coupon.from_item(coupon_item) if coupon_item else None
    if coupon is not None and gathered.coupon_uses:
        coupon = coupon.model_copy(update={"uses": coupon.uses + gathered.coupon_uses})
    return Enrolling(
        lo=lo,
        learner=learner,
        parent=parent,
        active_id=int(active["enrolment_id"]) if active else None,
        plan_ref=found.get(table_keys.active_plan(portal_id, learner_id, request.lo_id)),
        coupon=coupon,
    )


def checked_parent(
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
    return checked_parent_enrolment(request, portal_id, learner_id, parent_item)


def checked_parent_enrolment(
    request: NewEnrolment, portal_id: str, learner_id: str, parent_item: dict[str, Any] | None
) -> Enrolment:
    """The parent enrolment as read, or as its failed check in the transaction gave it back."""
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


def active_ref(enrolment: Enrolment, replaced: int | None) -> Put:
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


def creation_refused(
    refused: dict[str, dict[str, Any] | None], request: NewEnrolment, enrolment: Enrolment, payment: Payment
) -> int:
    """Turns a refused creation into its answer: the id that won a race, or a domain error."""
    portal_id = enrolment.portal_id
    if "parent" in refused:
        # The parent changed between the read and the transaction: answered as a read now would be.
        checked_parent_enrolment(request, portal_id, enrolment.user_id, refused["parent"])
        raise ConcurrentModification("The parent enrolment changed while enrolling; try again")
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
