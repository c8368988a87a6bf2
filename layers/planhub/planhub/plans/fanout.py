"""A group assignment becomes members' plans, asynchronously and in batches.

1. "group plan assigned" -> `announce_batches`: lists the members and records one
   "group plan batch" event per BATCH_SIZE members (so a group of 10,000 is 40 batches
   worked in parallel, each well within a Lambda's time).
2. "group plan batch" -> `assign_batch`: one BatchGetItem for the members' users and active
   refs, then each member gets the user semantics (version 0) of `assignment.decide`.
   Members' writes are packed into transactions of up to 100 writes; if one is cancelled
   (a member was assigned meanwhile) its members are assigned one by one, so one member's
   failure does not stop the others. Members that still failed make the batch fail, and
   its retry skips the members already assigned: their active ref exists.
3. "group members changed" -> `assign_to_new_members`: members added later get each of
   the group's active assignments, through the same batch events.

Announcing is idempotent by the triggering event's id: batch events get ids derived from
it and are recorded with `attribute_not_exists`, so a redelivery records nothing new.
Assigning is idempotent by the active plan ref: a member never gets two plans.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from planhub import events
from planhub.events import DomainEvent, EventType
from planhub.observability import logger
from planhub.plans.assignment import Assignment, Outcome, decide
from planhub.plans.models import GroupPlan
from planhub.plans.service import PlanService, now_utc
from planhub.records.learning_object import LoType
from planhub.storage import Table, TransactionCanceled
from planhub.storage.table import TRANSACTION_LIMIT

BATCH_SIZE = 250
GROUP_SOURCE = "group"
_BATCH_IDS = uuid.UUID("6f1d9a52-3c1e-4f0b-9d0e-8a4b2c7e5f10")


class BatchIncomplete(Exception):
    """Some members' plans could not be written; the batch is retried for them."""


@dataclass(frozen=True)
class MemberOutcome:
    assignment: Assignment
    outcome: Outcome


class GroupFanOut:
    def __init__(self, plans: PlanService) -> None:
        self.plans = plans
        self.table: Table = plans.table
        self.repository = plans.repository

    @classmethod
    def from_environment(cls) -> GroupFanOut:
        return cls(PlanService.from_environment())

    # --- announcing batches -------------------------------------------------------------------

    def announce_batches(self, event: DomainEvent) -> None:
        """A new group assignment: every member of the group, in batches."""
        group_plan = GroupPlan.model_validate(event.data["group_plan"])
        members = self.repository.group_member_ids(group_plan.portal_id, group_plan.group_id)
        self._announce(event, group_plan, members, seed=event.id)

    def assign_to_new_members(self, event: DomainEvent) -> None:
        """Members added to a group get each of the group's active assignments."""
        added: list[str] = list(event.data.get("added") or [])
        if not added:
            return
        portal_id, group_id = str(event.data["portal_id"]), str(event.data["group_id"])
        for group_plan in self.repository.group_plans_for_members(portal_id, group_id):
            self._announce(event, group_plan, added, seed=f"{event.id}#{group_plan.id}")

    def _announce(self, cause: DomainEvent, group_plan: GroupPlan, members: Sequence[str], *, seed: str) -> None:
        members = [m for m in members if m != group_plan.excluded_user_id]
        batches = [
            DomainEvent(
                id=uuid.uuid5(_BATCH_IDS, f"{seed}#{number}").hex,
                type=str(EventType.GROUP_PLAN_BATCH),
                data={
                    "group_plan": group_plan.model_dump(mode="json"),
                    "user_ids": members[start : start + BATCH_SIZE],
                },
                actor=cause.actor,
            )
            for number, start in enumerate(range(0, len(members), BATCH_SIZE))
        ]
        for start in range(0, len(batches), TRANSACTION_LIMIT):
            chunk = batches[start : start + TRANSACTION_LIMIT]
            try:
                self.table.transact([events.record(batch) for batch in chunk])
            except TransactionCanceled as canceled:
                if len(canceled.failed_conditions()) != len(chunk):
                    raise
                logger.info("batches already announced by an earlier delivery", extra={"cause": cause.id})
        logger.info(
            "group assignment announced",
            extra={"group_plan_id": group_plan.id, "members": len(members), "batches": len(batches)},
        )

    # --- assigning one batch -------------------------------------------------------------------

    def assign_batch(self, event: DomainEvent) -> None:
        group_plan = GroupPlan.model_validate(event.data["group_plan"])
        user_ids: list[str] = list(event.data["user_ids"])
        context = self.repository.members_context(group_plan.portal_id, group_plan.lo_id, user_ids)
        portal, lo = context.portal, context.lo
        if portal is None or lo is None or not lo.available_in(portal.id) or lo.type is LoType.MODULE:
            logger.warning("the group's portal or LO is gone or no longer assignable", extra={"plan": group_plan.id})
            return
        unknown = [u for u in user_ids if u not in context.users]
        if unknown:
            logger.warning("group members who are not users of the portal get no plan", extra={"users": unknown})
        now = now_utc()
        members = []
        for user_id, user in context.users.items():
            assignment = Assignment(
                portal=portal,
                lo=lo,
                user=user,
                due_date=group_plan.due_date,
                notify=group_plan.notify,
                note=group_plan.note,
                reassign=False,
                assigner_id=group_plan.assigner_id,
                actor=event.actor or group_plan.assigner_id,
                source_type=GROUP_SOURCE,
                source_id=group_plan.id,
            )
            members.append(MemberOutcome(assignment, decide(assignment, context.holdings[user_id], now)))
        failed = self._write(members)
        logger.info(
            "group batch assigned",
            extra={"group_plan_id": group_plan.id, "members": len(members), "failed": len(failed)},
        )
        if failed:
            raise BatchIncomplete(f"{len(failed)} of {len(members)} members' plans failed: {failed[:10]}")

    def _write(self, members: list[MemberOutcome]) -> list[str]:
        """Writes members' outcomes in packed transactions; answers the members that failed."""
        failed: list[str] = []
        for chunk in _packed([m for m in members if m.outcome.writes]):
            try:
                self.table.transact([w for m in chunk for w in m.outcome.writes])
            except Exception as error:  # noqa: BLE001 - any failure: retry the chunk's members one by one
                logger.info("packed transaction failed; assigning one by one", extra={"reason": str(error)[:200]})
                failed += self._write_one_by_one(chunk)
        return failed

    def _write_one_by_one(self, chunk: list[MemberOutcome]) -> list[str]:
        failed: list[str] = []
        for member in chunk:
            try:
                self.plans.assign(member.assignment)
            except Exception:  # noqa: BLE001 - one member's failure must not stop the others
                logger.exception("member's plan failed", extra={"user_id": member.assignment.user.id})
                failed.append(member.assignment.user.id)
        return failed


def _packed(members: list[MemberOutcome]) -> list[list[MemberOutcome]]:
    """Members grouped so that each group's writes fit one transaction (a member is never split)."""
    chunks: list[list[MemberOutcome]] = []
    size = TRANSACTION_LIMIT
    for member in members:
        writes = len(member.outcome.writes)
        if size + writes > TRANSACTION_LIMIT:
            chunks.append([])
            size = 0
        chunks[-1].append(member)
        size += writes
    return chunks
