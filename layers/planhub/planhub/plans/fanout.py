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
Assigning is idempotent by the active plan ref: a member never gets two plans. A member
whose plan of the LO was unassigned after the group assignment was made is skipped.

Progress (`GET /enrolment/plan/group-assignment/{id}`): each batch event has a progress item
in the group assignment's partition, recorded with it (the members it carries); the batch
adds each member's outcome to string sets (`assigned`, `skipped`, `failed`) on that item, so
a redelivered or retried batch adds the same ids again and the counts stay exact.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from planhub import events
from planhub.events import DomainEvent, EventType
from planhub.observability import logger
from planhub.plans.assignment import Assignment, Change, Holdings
from planhub.plans.models import GroupPlan
from planhub.plans.service import PlanService
from planhub.records.learning_object import LoType
from planhub.storage import ConditionFailed, Expression, Put, Table, TransactionCanceled, Write, not_exists
from planhub.storage import keys as table_keys
from planhub.storage.table import TRANSACTION_LIMIT

BATCH_SIZE = 250
GROUP_SOURCE = "group"
_BATCH_IDS = uuid.UUID("6f1d9a52-3c1e-4f0b-9d0e-8a4b2c7e5f10")


class BatchIncomplete(Exception):
    """Some members' plans could not be written; the batch is retried for them."""


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
        excluded = [m for m in members if m == group_plan.excluded_user_id]
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
        # Each batch event with its progress item (the members it carries): two writes a batch.
        per_transaction = TRANSACTION_LIMIT // 2
        for start in range(0, len(batches), per_transaction):
            chunk = batches[start : start + per_transaction]
            writes: list[Write] = []
            for batch in chunk:
                progress = _progress(group_plan.id, f"BATCH#{batch.id}", members=batch.data["user_ids"])
                writes += [events.record(batch), Put(progress, not_exists())]
            try:
                self.table.transact(writes)
            except TransactionCanceled as canceled:
                if len(canceled.failed_conditions()) != len(writes):
                    raise
                logger.info("batches already announced by an earlier delivery", extra={"cause": cause.id})
        # Last: the announcement says every batch is recorded (and counts the excluded caller as skipped).
        announced = _progress(
            group_plan.id, f"ANNOUNCE#{uuid.uuid5(_BATCH_IDS, seed).hex}", members=excluded, skipped=set(excluded)
        )
        try:
            self.table.put(announced, not_exists())
        except ConditionFailed:
            logger.info("announcement already recorded by an earlier delivery", extra={"cause": cause.id})
        logger.info(
            "group assignment announced",
            extra={"group_plan_id": group_plan.id, "members": len(members), "batches": len(batches)},
        )

    # --- assigning one batch -------------------------------------------------------------------

    def assign_batch(self, event: DomainEvent) -> None:
        """Each member's outcome is recorded in the batch's progress item, as sets of user ids:
        a redelivery adds the same ids again, so the counts stay exact."""
        group_plan = GroupPlan.model_validate(event.data["group_plan"])
        user_ids: list[str] = list(event.data["user_ids"])
        context = self.repository.members_context(group_plan.portal_id, group_plan.lo_id, user_ids)
        portal, lo = context.portal, context.lo
        if portal is None or lo is None or not lo.available_in(portal.id) or lo.type is LoType.MODULE:
            logger.warning("the group's portal or LO is gone or no longer assignable", extra={"plan": group_plan.id})
            self._record(group_plan.id, event.id, failed=set(user_ids))
            return
        unknown = {u for u in user_ids if u not in context.users}
        if unknown:
            logger.warning(
                "group members who are not users of the portal get no plan", extra={"users": sorted(unknown)}
            )
        skipped: set[str] = set()
        members: list[Assignment] = []
        holdings: list[Holdings] = []
        for user_id, user in context.users.items():
            held = context.holdings[user_id]
            if held.plan_id is None and _unassigned_since(held, group_plan):
                skipped.add(user_id)  # unassigned after this group assignment was made: not brought back
                continue
            members.append(
                Assignment(
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
            )
            holdings.append(held)
        assigned: set[str] = set()
        failed: set[str] = set(unknown)
        retry: list[str] = []
        for member, result in zip(
            members, self.plans.assign_all(list(zip(members, holdings, strict=True))), strict=True
        ):
            user_id = member.user.id
            if isinstance(result, Exception):
                logger.info("member's plan failed", extra={"user_id": user_id, "reason": str(result)[:200]})
                failed.add(user_id)
                retry.append(user_id)
            elif result.change is Change.CREATED:
                assigned.add(user_id)
            else:
                skipped.add(user_id)  # already assigned the LO
        self._record(group_plan.id, event.id, assigned=assigned, skipped=skipped, failed=failed)
        logger.info(
            "group batch assigned",
            extra={"group_plan_id": group_plan.id, "members": len(user_ids), "failed": len(failed)},
        )
        if retry:
            raise BatchIncomplete(f"{len(retry)} of {len(members)} members' plans failed: {retry[:10]}")

    def _record(
        self,
        group_plan_id: int,
        batch_id: str,
        *,
        assigned: set[str] | None = None,
        skipped: set[str] | None = None,
        failed: set[str] | None = None,
    ) -> None:
        """Adds the members' outcomes to the batch's progress item (string sets: adding twice is adding once)."""
        parts = {"assigned": assigned or set(), "skipped": skipped or set(), "failed": failed or set()}
        parts = {name: ids for name, ids in parts.items() if ids}
        if not parts:
            return
        names = {f"#{name}": name for name in parts}
        values = {f":{name}": ids for name, ids in parts.items()}
        text = "ADD " + ", ".join(f"#{name} :{name}" for name in parts)
        self.table.update(
            table_keys.group_plan_progress(group_plan_id, f"BATCH#{batch_id}"), Expression(text, names, values)
        )


def _progress(group_plan_id: int, part: str, *, members: list[str], skipped: set[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        **table_keys.group_plan_progress(group_plan_id, part),
        "entity": "group_plan_progress",
        "members": list(members),
    }
    if skipped:
        item["skipped"] = skipped
    return item


def _unassigned_since(holdings: Holdings, group_plan: GroupPlan) -> bool:
    """The user's plan of the LO was unassigned after the group assignment was made."""
    return holdings.unassigned_at is not None and holdings.unassigned_at >= group_plan.created_at
