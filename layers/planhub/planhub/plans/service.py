"""Plan use cases (SPEC.md section 4): assign an LO to a user or a group, read a plan.

Each assignment is one transaction: the plan, its active ref (`attribute_not_exists`: two
concurrent assignments end with one active plan), the enrolment link or archive, and the
domain event. When a concurrent change cancels it, the assignment is decided again from
fresh reads, so the loser of a race answers the winner's plan.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from planhub import events
from planhub.auth.claims import Claims
from planhub.errors import ConcurrentModification, InvalidInput, NotFound
from planhub.events import DomainEvent, EventType
from planhub.ids import new_numeric_id
from planhub.observability import logger
from planhub.plans import permissions
from planhub.plans.assignment import Assignment, Holdings, Outcome, decide, needs_enrolment
from planhub.plans.models import (
    NOT_ASSIGNABLE,
    AssignToGroupBody,
    AssignToUserBody,
    GroupActivePlan,
    GroupPlan,
    PlanCreated,
    PlanView,
)
from planhub.plans.repository import PlanRepository
from planhub.records.learning_object import LearningObject, LoType
from planhub.settings import TableEnvironment
from planhub.storage import Put, Table, TransactionCanceled, not_exists

ATTEMPTS = 3  # decisions per assignment when concurrent changes keep cancelling it
SELF = "self"


def now_utc() -> datetime:
    return datetime.now(UTC)


def require_assignable(lo: LearningObject | None, lo_id: str, portal_id: str) -> LearningObject:
    if lo is None or not lo.available_in(portal_id):
        raise NotFound(f"Learning object {lo_id} not found in portal {portal_id}")
    if lo.type is LoType.MODULE:
        raise InvalidInput(NOT_ASSIGNABLE)
    return lo


class PlanService:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.repository = PlanRepository(table)

    @classmethod
    def from_environment(cls) -> PlanService:
        return cls(Table(TableEnvironment.load().table_name))

    # --- a user -----------------------------------------------------------------------------

    def assign_to_user(
        self, claims: Claims, instance: str, lo_id: str, user_id: str, body: AssignToUserBody
    ) -> PlanCreated:
        permissions.require_staff_for(claims, body.staff_only_fields)
        user_id = claims.sub if user_id == SELF else user_id
        context = self.repository.user_assignment_context(instance, lo_id, user_id)
        portal = context.portal
        lo = require_assignable(context.lo, lo_id, portal.id)
        if context.user is None:
            raise NotFound(f"User {user_id} not found in portal {portal.id}")
        permissions.require_may_assign(claims, portal.id, context.user)
        assignment = Assignment(
            portal=portal,
            lo=lo,
            user=context.user,
            due_date=body.due_date,
            notify=body.notify,
            note=body.note,
            reassign=body.version == 2,
            assigner_id=str(body.assigner_id) if body.assigner_id is not None else claims.sub,
            actor=claims.sub,
            source_type=body.source_type,
            source_id=body.source_id,
        )
        outcome = self.assign(assignment, context.holdings)
        return PlanCreated(id=str(outcome.plan_id))

    def assign(self, assignment: Assignment, holdings: Holdings | None = None) -> Outcome:
        """Decides and writes one assignment; after a lost race, decides again from fresh reads.

        A re-assignment that lost the race to another re-assignment of the same plan finds
        the user re-assigned a moment ago: it then keeps that new plan (version 0: its due
        date updated) rather than replacing it again, so a double submit sends one email.
        """
        portal_id, user_id, lo_id = assignment.portal.id, assignment.user.id, assignment.lo.id
        replacing: int | None = None
        for attempt in range(ATTEMPTS):
            if holdings is None:
                holdings = self.repository.holdings(portal_id, user_id, lo_id)
            if assignment.reassign and replacing is not None and holdings.plan_id != replacing:
                assignment = replace(assignment, reassign=False)
            if needs_enrolment(assignment, holdings):
                holdings = self.repository.with_enrolment(holdings)
            outcome = decide(assignment, holdings, now_utc())
            try:
                self.table.transact(outcome.writes)
            except TransactionCanceled as canceled:
                logger.info(
                    "assignment raced a concurrent change; deciding again",
                    extra={"attempt": attempt + 1, "reasons": [r.code for r in canceled.reasons]},
                )
                if assignment.reassign:
                    replacing = holdings.plan_id
                holdings = None
                continue
            return outcome
        raise ConcurrentModification(f"User {user_id}'s plan of {lo_id} kept changing meanwhile; try again")

    # --- a group ----------------------------------------------------------------------------

    def assign_to_group(
        self, claims: Claims, instance: str, lo_id: str, group_id: str, body: AssignToGroupBody
    ) -> PlanCreated:
        """Records the group assignment with its event; members' plans follow asynchronously."""
        context = self.repository.group_assignment_context(instance, lo_id, group_id)
        portal = context.portal
        permissions.require_may_assign_group(claims, portal.id)
        lo = require_assignable(context.lo, lo_id, portal.id)
        if context.group is None:
            raise NotFound(f"Group {group_id} not found in portal {portal.id}")
        group_plan = GroupPlan(
            id=new_numeric_id(),
            portal_id=portal.id,
            group_id=group_id,
            lo_id=lo.id,
            due_date=body.due_date,
            notify=body.notify,
            note=body.note,
            assigner_id=claims.sub,
            excluded_user_id=claims.sub if body.exclude_self else None,
            created_at=now_utc(),
        )
        active = GroupActivePlan(group_plan_id=group_plan.id, portal_id=portal.id, group_id=group_id, lo_id=lo.id)
        event = DomainEvent.of(
            EventType.GROUP_PLAN_ASSIGNED,
            {
                "group_plan": group_plan.model_dump(mode="json"),
                "learning_object": {"id": lo.id, "title": lo.title, "type": str(lo.type)},
                "portal": {"id": portal.id, "name": portal.name, "title": portal.title or portal.name},
            },
            actor=claims.sub,
        )
        # The group's active assignment of this LO is replaced by the newest one.
        self.table.transact([Put(group_plan.to_item(), not_exists()), Put(active.to_item()), events.record(event)])
        return PlanCreated(id=str(group_plan.id))

    # --- reading ------------------------------------------------------------------------------

    def get_plan(self, claims: Claims, plan_id: int) -> PlanView:
        plan = self.repository.plan_or_group_plan(plan_id)
        if isinstance(plan, GroupPlan):
            permissions.require_may_read_group_plan(claims, plan.portal_id)
            return PlanView.of_group_plan(plan)
        if not permissions.may_read_without_user(claims, plan.portal_id, plan.user_id):
            # Only a manager is left to consider: that needs the user's record.
            permissions.require_may_read(
                claims, plan.portal_id, self.repository.find_user(plan.portal_id, plan.user_id)
            )
        return PlanView.of_plan(plan)
