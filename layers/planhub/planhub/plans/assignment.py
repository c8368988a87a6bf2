"""Assigning one LO to one user: the seed's four cases as writes for one transaction.

`decide` is pure: given what is assigned and what the table holds for that user and LO,
it answers the plan id and the writes (with their conditions and the domain event). The
user route runs it once per request, the group fan-out once per member. Every write is
conditioned on the state `decide` saw, so a concurrent change cancels the transaction
instead of being overwritten, and the caller decides again from fresh reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from planhub import events
from planhub.events import DomainEvent, EventType
from planhub.ids import new_numeric_id
from planhub.plans import enrolment_link
from planhub.plans.enrolment_link import ActiveEnrolment
from planhub.plans.models import Plan, active_plan_ref, due_index_keys, iso, listing_index_keys
from planhub.records.learning_object import LearningObject
from planhub.records.portal import Portal
from planhub.records.user import User
from planhub.storage import Expression, Put, Update, Write, not_exists
from planhub.storage import keys as table_keys

_ACTIVE_PLAN = "attribute_exists(PK) AND archived = :false"


@dataclass(frozen=True)
class Assignment:
    """What is assigned, to whom, by whom: the same for a user and for each member of a group."""

    portal: Portal
    lo: LearningObject
    user: User
    due_date: datetime | None
    notify: bool
    note: str | None
    reassign: bool
    assigner_id: str
    actor: str
    source_type: str | None = None
    source_id: int | None = None


@dataclass(frozen=True)
class Holdings:
    """What the table holds for the user and LO: the active refs, and the enrolment when needed."""

    plan_id: int | None = None
    enrolment_id: int | None = None
    enrolment: ActiveEnrolment | None = None
    unassigned_at: datetime | None = None  # when the user's plan of the LO was last unassigned


class Change(StrEnum):
    CREATED = "created"
    REASSIGNED = "reassigned"
    DUE_DATE_CHANGED = "due date changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Outcome:
    plan_id: int
    change: Change
    writes: list[Write] = field(default_factory=list)


def needs_enrolment(assignment: Assignment, holdings: Holdings) -> bool:
    """A re-assignment decides on the enrolment's status, so it must read the enrolment itself."""
    return assignment.reassign and holdings.plan_id is not None and holdings.enrolment_id is not None


def decide(assignment: Assignment, holdings: Holdings, now: datetime) -> Outcome:
    """The seed's summary: a new plan, the existing one (its due date updated), or a re-assignment."""
    if holdings.plan_id is not None and not assignment.reassign:
        return _keep(assignment, holdings.plan_id, now)
    if holdings.plan_id is not None:
        return _reassign(assignment, holdings, holdings.plan_id, now)
    return _create(assignment, holdings, now)


def _keep(assignment: Assignment, plan_id: int, now: datetime) -> Outcome:
    """Already assigned (version 0): the same plan; only a given due date changes it. No email."""
    if assignment.due_date is None:
        return Outcome(plan_id, Change.UNCHANGED)
    update = Update(
        table_keys.plan(plan_id),
        due_date_change(
            PlanRef(plan_id, assignment.portal.id, assignment.user.id, assignment.lo.id), assignment.due_date, now
        ),
        Expression(_ACTIVE_PLAN, values={":false": False}),
    )
    event = DomainEvent.of(
        EventType.PLAN_DUE_DATE_CHANGED,
        {
            "plan_id": str(plan_id),
            "portal_id": assignment.portal.id,
            "user_id": assignment.user.id,
            "lo_id": assignment.lo.id,
            "due_date": iso(assignment.due_date),
        },
        actor=assignment.actor,
    )
    return Outcome(plan_id, Change.DUE_DATE_CHANGED, [update, events.record(event)])


def _new_plan(assignment: Assignment, enrolment_id: int | None, now: datetime) -> Plan:
    return Plan(
        id=new_numeric_id(),
        portal_id=assignment.portal.id,
        user_id=assignment.user.id,
        lo_id=assignment.lo.id,
        due_date=assignment.due_date,
        notify=assignment.notify,
        note=assignment.note,
        assigner_id=assignment.assigner_id,
        source_type=assignment.source_type,
        source_id=assignment.source_id,
        enrolment_id=enrolment_id,
        created_at=now,
        updated_at=now,
    )


def _create(assignment: Assignment, holdings: Holdings, now: datetime) -> Outcome:
    """No active plan: a new one, linked to the active enrolment if there is one (left as it is)."""
    portal, user, lo = assignment.portal.id, assignment.user.id, assignment.lo.id
    plan = _new_plan(assignment, holdings.enrolment_id, now)
    writes: list[Write] = [
        Put(plan.to_item(), not_exists()),
        Put(active_plan_ref(plan), not_exists()),
        enrolment_link.unchanged(portal, user, lo, holdings.enrolment_id),
        events.record(_assigned_event(EventType.PLAN_ASSIGNED, assignment, plan, {})),
    ]
    return Outcome(plan.id, Change.CREATED, writes)


def _reassign(assignment: Assignment, holdings: Holdings, old_plan_id: int, now: datetime) -> Outcome:
    """Version 2: the old plan is archived and a new one created; a begun enrolment is archived too."""
    portal, user, lo = assignment.portal.id, assignment.user.id, assignment.lo.id
    enrolment = holdings.enrolment
    writes: list[Write] = []
    archived_enrolment_id: int | None = None
    if enrolment is not None and enrolment_link.is_archived_on_reassignment(enrolment):
        writes += enrolment_link.archive(enrolment, portal, user, lo, by=assignment.actor, at=now)
        archived_enrolment_id = enrolment.id
        linked = None
    else:
        linked = enrolment.id if enrolment is not None else None
        writes.append(enrolment_link.unchanged(portal, user, lo, holdings.enrolment_id))
    plan = _new_plan(assignment, linked, now)
    if enrolment is not None and linked is not None:
        writes.append(enrolment_link.relink(enrolment, plan.id, at=now))  # the kept enrolment names the new plan
    archive_old = Update(
        table_keys.plan(old_plan_id),
        archiving(portal, user, lo, by=assignment.actor, now=now),
        Expression(_ACTIVE_PLAN, values={":false": False}),
    )
    # The ref moves from the old plan to the new one, if nobody moved it meanwhile.
    move_ref = Put(active_plan_ref(plan), Expression("plan_id = :old", values={":old": old_plan_id}))
    extra = {"archived_plan_id": str(old_plan_id), "archived_enrolment_id": archived_enrolment_id}
    event = _assigned_event(EventType.PLAN_REASSIGNED, assignment, plan, extra)
    writes += [archive_old, Put(plan.to_item(), not_exists()), move_ref, events.record(event)]
    return Outcome(plan.id, Change.REASSIGNED, writes)


def due_date_change(plan: PlanRef, due_date: datetime | None, now: datetime) -> Expression:
    """The update that gives an active plan a new due date (or none), with every index it sorts
    on: the user's lists (GSI1, GSI3, partition keys too, so a plan stored before the lists
    existed joins them) and, with a date, the daily notice run's (GSI2)."""
    listing = listing_index_keys(plan.portal_id, plan.user_id, plan.lo_id, plan.id, due_date, archived=False)
    values: dict[str, Any] = {
        ":now": iso(now),
        ":user_pk": listing["GSI1PK"],
        ":lo_pk": listing["GSI3PK"],
        ":order": listing["GSI1SK"],
    }
    listed = "updated_at = :now, GSI1PK = :user_pk, GSI1SK = :order, GSI3PK = :lo_pk, GSI3SK = :order"
    if due_date is None:
        return Expression(f"SET {listed} REMOVE due_date, GSI2PK, GSI2SK", values=values)
    index = due_index_keys(plan.id, due_date, now)
    values.update({":due": iso(due_date), ":pk": index["GSI2PK"], ":sk": index["GSI2SK"]})
    return Expression(f"SET due_date = :due, {listed}, GSI2PK = :pk, GSI2SK = :sk", values=values)


@dataclass(frozen=True)
class PlanRef:
    """What names a plan's places in the user's lists."""

    id: int
    portal_id: str
    user_id: str
    lo_id: str


def archiving(portal_id: str, user_id: str, lo_id: str, *, by: str, now: datetime) -> Expression:
    """The update that archives a plan: out of the notice index, into the user's archived lists."""
    return Expression(
        "SET archived = :true, archived_at = :now, archived_by = :by, updated_at = :now, "
        "GSI1PK = :user_archived, GSI3PK = :lo_archived REMOVE GSI2PK, GSI2SK",
        values={
            ":true": True,
            ":now": iso(now),
            ":by": by,
            ":user_archived": table_keys.user_plans_index(portal_id, user_id, archived=True),
            ":lo_archived": table_keys.user_lo_plans_index(portal_id, user_id, lo_id, archived=True),
        },
    )


def plan_event_data(plan: Plan, user: User | None, lo: LearningObject | None, portal: Portal | None) -> dict[str, Any]:
    """What every plan email needs, carried by the event so the email function reads nothing."""
    return {
        "plan": {
            "id": str(plan.id),
            "portal_id": plan.portal_id,
            "user_id": plan.user_id,
            "lo_id": plan.lo_id,
            "status": int(plan.status),
            "due_date": iso(plan.due_date) if plan.due_date else None,
            "note": plan.note,
            "assigner_id": plan.assigner_id,
            "source_type": plan.source_type,
            "source_id": plan.source_id,
            "enrolment_id": plan.enrolment_id,
        },
        "notify": plan.notify,
        "recipient": {"user_id": user.id, "email": user.email, "name": user.name} if user else None,
        "learning_object": {"id": lo.id, "title": lo.title, "type": str(lo.type)} if lo else None,
        "portal": {"id": portal.id, "name": portal.name, "title": portal.title or portal.name} if portal else None,
    }


def _assigned_event(kind: EventType, assignment: Assignment, plan: Plan, extra: dict[str, Any]) -> DomainEvent:
    data = {**plan_event_data(plan, assignment.user, assignment.lo, assignment.portal), **extra}
    return DomainEvent.of(kind, data, actor=assignment.actor)
