"""Deciding a creation, from what its request read to what its transaction writes, without
touching the table or Stripe: the checks each item passes in the order its refusals take
precedence, the enrolment and its writes, what paying for it takes (`payments.priced`), and
the answer a refused transaction gives. `Enrolling` runs a create: gather, decide, settle, write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from planhub import events
from planhub.auth.claims import Claims
from planhub.enrolments.models import NO_PARENT, Enrolment, EnrolmentItem, EnrolmentStatus
from planhub.enrolments.payments import (
    COUPON_WRITE,
    CREDIT_WRITE,
    Payment,
    Pricing,
    Settlement,
    credit_token_refusal,
    priced,
)
from planhub.enrolments.plan_link import link_active_plan
from planhub.enrolments.writes import (
    UNARCHIVED,
    LabelledWrites,
    as_json,
    child_record,
    completed_event,
    event_fields,
    history_entry,
)
from planhub.errors import ConcurrentModification, Forbidden, InvalidInput, NotFound, PaymentRequired
from planhub.events import DomainEvent, EventType
from planhub.payments import StripeCharge
from planhub.records.coupon import Coupon
from planhub.records.learning_object import LearningObject
from planhub.records.portal import Portal
from planhub.records.user import User
from planhub.storage import Check, Expression, Found, Put, Update, not_exists
from planhub.storage import keys as table_keys


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
class Checked:
    """What creating one enrolment found in the table, checked."""

    lo: LearningObject
    learner: User
    parent: Enrolment | None
    active_id: int | None
    plan_ref: dict[str, Any] | None
    coupon: Coupon | None


def checked_creation(
    claims: Claims, gathered: Gathered, learner: User | None, request: NewEnrolment, payment: Payment
) -> Checked:
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
    return Checked(
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


def decide(
    claims: Claims,
    portal: Portal,
    checked: Checked,
    request: NewEnrolment,
    payment: Payment,
    *,
    enrolment_id: int,
    now: datetime,
    notify: bool,
) -> Creation:
    """The new enrolment and its writes; a payment it cannot take is refused here, before any charge."""
    pricing = priced(
        payment,
        lo=checked.lo,
        portal_id=portal.id,
        user_id=checked.learner.id,
        enrolment_id=enrolment_id,
        coupon=checked.coupon,
        now=now,
    )
    plan_link = link_active_plan(checked.plan_ref, enrolment_id)
    enrolment = Enrolment(
        id=enrolment_id,
        portal_id=portal.id,
        user_id=checked.learner.id,
        lo_id=request.lo_id,
        parent_lo_id=request.parent_lo_id if request.has_parent else None,
        parent_enrolment_id=checked.parent.id if checked.parent else None,
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
    writes.add("active", active_ref(enrolment, checked.active_id))
    if checked.active_id is not None:
        writes.add("archive", archive_replaced(checked.active_id, enrolment, claims.sub, now))
    writes.add(
        "history",
        Put(history_entry(enrolment.id, claims.sub, None, enrolment.status, note=None, now=now).to_item()),
    )
    if checked.parent is not None:
        writes.add("child", Put(child_record(enrolment).to_item()))
        if checked.parent.id != checked.active_id:  # else the archive's own condition checks it
            # Read before the transaction, so checked again in it: a parent archived meanwhile
            # (re-enrolled) must not be given a child.
            writes.add("parent", Check(table_keys.enrolment(checked.parent.id), UNARCHIVED))
    if plan_link is not None:
        writes.add("plan", plan_link.write)
    for label, write in pricing.writes.items():
        writes.add(label, write)
    learner, lo = checked.learner, checked.lo
    # The email templates' vocabulary (planhub.notifications) besides the enrolment's own fields.
    created = {
        **event_fields(enrolment),
        "status": enrolment.status.value,
        "plan_id": enrolment.plan_id,
        "notify": notify,
        "replaced_enrolment_id": checked.active_id,
        "payment": None,  # the settlement's summary, once paid
        "enrolment": {
            "id": enrolment.id,
            "status": enrolment.status.value,
            "due_date": as_json(enrolment.due_date),
            "start_date": as_json(enrolment.start_date),
        },
        "recipient": {"user_id": learner.id, "email": learner.email, "name": learner.name},
        "learning_object": {"id": lo.id, "title": lo.title, "type": lo.type.value},
        "portal": {"id": portal.id, "name": portal.name, "title": portal.title or portal.name},
    }
    return Creation(
        request=request, payment=payment, enrolment=enrolment, pricing=pricing, writes=writes, created=created
    )


@dataclass(frozen=True)
class Creation:
    """One enrolment decided on: its writes but its events, and what paying for it takes.

    The events wait for the payment: the created event names the Stripe charge once made.
    """

    request: NewEnrolment
    payment: Payment
    enrolment: Enrolment
    pricing: Pricing
    writes: LabelledWrites
    created: dict[str, Any]  # the created event's data, its payment summary to come

    @property
    def takes_coupon_use(self) -> bool:
        return COUPON_WRITE in self.pricing.writes

    def paid(self, settlement: Settlement) -> PaidCreation:
        """The creation with its payment made: its whole transaction, events included."""
        actor = self.enrolment.created_by
        writes = LabelledWrites()
        for label, write in zip(self.writes.labels, self.writes.writes, strict=True):
            writes.add(label, write)
        created = {**self.created, "payment": settlement.summary or None}
        writes.add("event", events.record(DomainEvent.of(EventType.ENROLMENT_CREATED, created, actor=actor)))
        if self.enrolment.status is EnrolmentStatus.COMPLETED:
            writes.add("event", events.record(completed_event(self.enrolment, actor)))
        return PaidCreation(
            request=self.request,
            payment=self.payment,
            enrolment=self.enrolment,
            charge=settlement.charge,
            writes=writes,
        )


@dataclass(frozen=True)
class PaidCreation:
    """One enrolment ready to be written: its transaction's writes, and the charge made for it."""

    request: NewEnrolment
    payment: Payment
    enrolment: Enrolment
    charge: StripeCharge | None
    writes: LabelledWrites


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


def archive_replaced(enrolment_id: int, replacement: Enrolment, actor: str, now: datetime) -> Update:
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
