"""Plan use cases (docs/product.md "Plans"): assign an LO to a user or a group, read a plan.

Each assignment is one transaction: the plan, its active ref (`attribute_not_exists`: two
concurrent assignments end with one active plan), the enrolment link or archive, and the
domain event. When a concurrent change cancels it, the assignment is decided again from
fresh reads, so the loser of a race answers the winner's plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from planhub import events
from planhub.auth.claims import Claims
from planhub.errors import ConcurrentModification, Conflict, InvalidInput, NotFound, PlanhubError
from planhub.events import DomainEvent, EventType
from planhub.observability import logger
from planhub.plans import permissions
from planhub.plans.assignment import (
    Assignment,
    Holdings,
    Outcome,
    PlanRef,
    archiving,
    decide,
    due_date_change,
    needs_enrolment,
    plan_event_data,
)
from planhub.plans.models import (
    NOT_ASSIGNABLE,
    REASSIGN_VERSION,
    AssignToGroupBody,
    AssignToUserBody,
    AssignToUsersBody,
    DueDateChange,
    GroupActivePlan,
    GroupAssignmentProgress,
    GroupPlan,
    Plan,
    PlanCreated,
    PlanPage,
    PlanView,
    UserOutcomes,
    iso,
)
from planhub.plans.repository import PlanRepository
from planhub.records.learning_object import LearningObject, LoType
from planhub.records.user import User
from planhub.settings import TableEnvironment
from planhub.storage import Delete, Expression, Put, Table, TransactionCanceled, Update, Write, not_exists, races
from planhub.storage import keys as table_keys
from planhub.storage.fresh_ids import created_with_fresh_id
from planhub.storage.keys import Key
from planhub.storage.table import TRANSACTION_LIMIT

ATTEMPTS = 3  # decisions per assignment when concurrent changes keep cancelling it
AssignResult = Outcome | Exception  # one assignment of many: its outcome, or why it failed
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
        for attempt in races.attempts(ATTEMPTS):
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
                attempt.lost("assignment raced a concurrent change; deciding again", canceled)
                if assignment.reassign:
                    replacing = holdings.plan_id
                holdings = None
                continue
            return outcome
        raise ConcurrentModification(f"User {user_id}'s plan of {lo_id} kept changing meanwhile; try again")

    def assign_all(self, members: Sequence[tuple[Assignment, Holdings]]) -> list[AssignResult]:
        """Many assignments, decided from what was read for all of them and written in packed
        transactions of up to 100 writes (a member is never split). A cancelled transaction is
        redone member by member from fresh reads, so one member's failure undoes no one else's.
        Answers each member's outcome or error, in order."""
        now = now_utc()
        results: list[AssignResult | None] = []
        for assignment, holdings in members:
            try:
                results.append(decide(assignment, holdings, now))
            except Exception as error:  # noqa: BLE001 - answered for this member alone
                results.append(error)
        pending = [i for i, r in enumerate(results) if isinstance(r, Outcome) and r.writes]
        for chunk in _packed(pending, [len(r.writes) for r in results if isinstance(r, Outcome) and r.writes]):
            writes = [w for i in chunk for w in _writes(results[i])]
            try:
                self.table.transact(writes)
            except Exception as error:  # noqa: BLE001 - any failure: the chunk's members one by one
                logger.info("packed transaction failed; assigning one by one", extra={"reason": str(error)[:200]})
                for i in chunk:
                    try:
                        results[i] = self.assign(members[i][0])
                    except Exception as one:  # noqa: BLE001 - one member's failure must not stop the others
                        logger.info("member's plan failed", extra={"user_id": members[i][0].user.id})
                        results[i] = one
        return [r if r is not None else RuntimeError("not decided") for r in results]

    def assign_to_users(self, claims: Claims, instance: str, lo_id: str, body: AssignToUsersBody) -> UserOutcomes:
        """One LO to many users, answered per user; one user's failure undoes nothing else."""
        user_ids = {given: claims.sub if given == SELF else given for given in body.user_ids}
        context = self.repository.users_assignment_context(instance, lo_id, sorted(set(user_ids.values())))
        portal = context.portal
        permissions.require_role_in(claims, portal.id)
        lo = require_assignable(context.lo, lo_id, portal.id)
        answers: UserOutcomes = {}
        to_assign: list[tuple[str, Assignment, Holdings]] = []
        for given, user_id in user_ids.items():
            user = context.users.get(user_id)
            if user is None:
                answers[given] = {"404": {"message": f"User {user_id} not found in portal {portal.id}"}}
                continue
            if not permissions.may_assign(claims, portal.id, user):
                answers[given] = {"403": {"message": f"You may not assign learning to user {user_id}"}}
                continue
            answers[given] = {}  # answered in the request's order
            assignment = Assignment(
                portal=portal,
                lo=lo,
                user=user,
                due_date=body.due_date,
                notify=body.notify,
                note=body.note,
                reassign=body.version == REASSIGN_VERSION,
                assigner_id=claims.sub,
                actor=claims.sub,
            )
            to_assign.append((given, assignment, context.holdings[user_id]))
        # A re-assignment decides on the enrolment's status: those enrolments in one read.
        needing = [i for i, (_, a, h) in enumerate(to_assign) if needs_enrolment(a, h)]
        read = self.repository.with_enrolments([to_assign[i][2] for i in needing])
        for i, holdings in zip(needing, read, strict=True):
            to_assign[i] = (to_assign[i][0], to_assign[i][1], holdings)
        results = self.assign_all([(a, h) for _, a, h in to_assign])
        for (given, _, _), result in zip(to_assign, results, strict=True):
            answers[given] = _user_answer(given, result)
        return answers

    # --- changing and unassigning one plan ------------------------------------------------------

    def change_due_date(self, claims: Claims, plan_id: str, body: DueDateChange) -> None:
        """A new due date (or none): the user's lists and the notice run follow it, and the
        notices are owed again for the new date. The email goes out when `notify` is true."""
        plan = self.repository.user_plan(_plan_number(plan_id))
        user, lo, portal = self.repository.plan_records(plan) if body.notify else (None, None, None)
        self._require_may_manage(claims, plan, user)
        if plan.archived:
            raise Conflict(f"Plan {plan.id} is archived: its due date no longer changes")
        if plan.due_date == body.due_date:
            return
        now = now_utc()
        update = due_date_change(PlanRef(plan.id, plan.portal_id, plan.user_id, plan.lo_id), body.due_date, now)
        values: dict[str, Any] = dict(update.values)
        text = update.text
        # Notices sent before they recorded their due date count for the date they were sent for.
        if plan.due_date is not None:
            for sent, due in (("reminded_at", "reminded_due"), ("overdue_notified_at", "overdue_notified_due")):
                if getattr(plan, sent) is not None and getattr(plan, due) is None:
                    text = text.replace("SET ", f"SET {due} = :old_due, ", 1)
                    values[":old_due"] = iso(plan.due_date)
        changed = replace_plan(plan, due_date=body.due_date, updated_at=now)
        data = {
            **plan_event_data(changed, user, lo, portal),
            "plan_id": str(plan.id),
            "portal_id": plan.portal_id,
            "user_id": plan.user_id,
            "lo_id": plan.lo_id,
            "due_date": iso(body.due_date) if body.due_date else None,
            "previous_due_date": iso(plan.due_date) if plan.due_date else None,
            "due_date_cleared": body.due_date is None,
            "notify": body.notify and user is not None,
        }
        writes: list[Write] = [
            Update(
                table_keys.plan(plan.id),
                Expression(text, values=values),
                Expression("archived = :false", values={":false": False}),
            ),
            events.record(DomainEvent.of(EventType.PLAN_DUE_DATE_CHANGED, data, actor=claims.sub)),
        ]
        try:
            self.table.transact(writes)
        except TransactionCanceled as canceled:
            raise Conflict(f"Plan {plan.id} was archived meanwhile") from canceled

    def unassign(self, claims: Claims, plan_id: str) -> None:
        """Archives the plan (its enrolment untouched) and records when, so that the group
        assignments made before now do not bring it back. Unassigning an archived plan changes nothing."""
        plan = self.repository.user_plan(_plan_number(plan_id))
        self._require_may_manage(claims, plan, None)
        if plan.archived:
            return
        now = now_utc()
        unassigned = {
            **table_keys.plan_unassigned(plan.portal_id, plan.user_id, plan.lo_id),
            "entity": "plan_unassigned",
            "at": now.isoformat().replace("+00:00", "Z"),  # to the microsecond: compared with group assignments
            "plan_id": plan.id,
            "by": claims.sub,
        }
        event = DomainEvent.of(
            EventType.PLAN_UNASSIGNED,
            {**plan_event_data(plan, None, None, None), "notify": False},
            actor=claims.sub,
        )
        writes: list[Write] = [
            Update(
                table_keys.plan(plan.id),
                archiving(plan.portal_id, plan.user_id, plan.lo_id, by=claims.sub, now=now),
                Expression("archived = :false", values={":false": False}),
            ),
            Delete(
                table_keys.active_plan(plan.portal_id, plan.user_id, plan.lo_id),
                Expression("plan_id = :plan", values={":plan": plan.id}),
            ),
            Put(unassigned),
            events.record(event),
        ]
        try:
            self.table.transact(writes)
        except TransactionCanceled as canceled:
            if self.repository.user_plan(plan.id).archived:
                return  # archived meanwhile (a double submit, a re-assignment): nothing left to do
            raise ConcurrentModification(f"Plan {plan.id} kept changing meanwhile; try again") from canceled

    def _require_may_manage(self, claims: Claims, plan: Plan, user: User | None) -> None:
        if permissions.may_manage_without_user(claims, plan.portal_id, plan.user_id, plan.assigner_id):
            return
        if user is None:
            user = self.repository.find_user(plan.portal_id, plan.user_id)
        permissions.require_may_manage(claims, plan.portal_id, user)

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
        created_at = now_utc()

        def create(group_plan_id: int) -> tuple[list[Write], Key]:
            group_plan = GroupPlan(
                id=group_plan_id,
                portal_id=portal.id,
                group_id=group_id,
                lo_id=lo.id,
                due_date=body.due_date,
                notify=body.notify,
                note=body.note,
                assigner_id=claims.sub,
                excluded_user_id=claims.sub if body.exclude_self else None,
                created_at=created_at,
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
            writes: list[Write] = [Put(group_plan.to_item(), not_exists()), Put(active.to_item()), events.record(event)]
            return writes, group_plan.keys()

        return PlanCreated(id=str(created_with_fresh_id(self.table, create)))

    def group_assignment(self, claims: Claims, group_plan_id: str) -> GroupAssignmentProgress:
        """How far the fan-out got. Each member is counted once: assigned (a plan of this
        assignment) wins over skipped, skipped over failed; members seen by no batch yet are pending."""
        progress = self.repository.group_plan_progress(_plan_number(group_plan_id, "Group assignment"))
        group_plan = progress.group_plan
        permissions.require_may_read_group_plan(claims, group_plan.portal_id)
        members: set[str] = set()
        assigned: set[str] = set()
        skipped: set[str] = set()
        failed: set[str] = set()
        announced = False
        for part in progress.parts:
            announced = announced or str(part["SK"]).startswith(f"{table_keys.GROUP_PLAN_PROGRESS_PREFIX}ANNOUNCE#")
            members.update(part.get("members") or [])
            assigned.update(part.get("assigned") or [])
            skipped.update(part.get("skipped") or [])
            failed.update(part.get("failed") or [])
        skipped -= assigned
        failed -= assigned | skipped
        members |= assigned | skipped | failed
        return GroupAssignmentProgress(
            id=str(group_plan.id),
            group_id=group_plan.group_id,
            lo_id=group_plan.lo_id,
            members=len(members),
            assigned=len(assigned),
            skipped=len(skipped),
            failed=len(failed),
            done=announced and not (members - assigned - skipped - failed),
        )

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

    def list_user_plans(
        self,
        claims: Claims,
        instance: str,
        user_id: str,
        *,
        archived: bool = False,
        lo_id: str | None = None,
        overdue: bool = False,
        limit: int = 50,
        cursor: str | None = None,
    ) -> PlanPage:
        """The user's active plans due soonest first (none last); `archived` adds the archived
        ones after them; `overdue` keeps the active ones past due. One Query per page."""
        user_id = claims.sub if user_id == SELF else user_id
        context = self.repository.portal_and_user(instance, user_id)
        portal = context.portal
        if context.user is None:
            if permissions.may_read_without_user(claims, portal.id, None):
                raise NotFound(f"User {user_id} not found in portal {portal.id}")
            raise permissions.forbidden_to_read()
        permissions.require_may_read(claims, portal.id, context.user)
        found = self.repository.user_plans(
            portal.id,
            user_id,
            lo_id=lo_id,
            archived=archived,
            due_before=now_utc() if overdue else None,
            limit=limit,
            cursor=cursor,
        )
        return PlanPage(data=[PlanView.of_plan(p) for p in found.plans], cursor=found.cursor)


def _plan_number(plan_id: str, what: str = "Plan") -> int:
    if not plan_id.isdigit() or int(plan_id) <= 0:
        raise NotFound(f"{what} {plan_id} not found")
    return int(plan_id)


def replace_plan(plan: Plan, **changes: Any) -> Plan:
    return plan.model_copy(update=changes)


def _writes(result: AssignResult | None) -> list[Write]:
    return result.writes if isinstance(result, Outcome) else []


def _packed(indexes: list[int], sizes: list[int]) -> list[list[int]]:
    """`indexes` grouped so that each group's writes (`sizes`, in the same order) fit one transaction."""
    chunks: list[list[int]] = []
    size = TRANSACTION_LIMIT
    for index, writes in zip(indexes, sizes, strict=True):
        if size + writes > TRANSACTION_LIMIT:
            chunks.append([])
            size = 0
        chunks[-1].append(index)
        size += writes
    return chunks


def _user_answer(user_id: str, result: AssignResult) -> dict[str, dict[str, str]]:
    """One user's answer of a many-user assignment: 200 with the plan id, or the error's status."""
    if isinstance(result, Outcome):
        return {"200": {"id": str(result.plan_id)}}
    if isinstance(result, PlanhubError):
        from planhub.http.errors import status_of

        return {str(int(status_of(result))): {"message": result.message}}
    logger.error("assignment failed", extra={"user_id": user_id}, exc_info=result)
    return {"500": {"message": "Internal error: this user was not assigned"}}
