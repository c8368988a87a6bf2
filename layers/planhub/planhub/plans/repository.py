"""Reading what plans need. Every look-up is a GetItem, a BatchGetItem or a Query.

An assignment's reads go out together: the portal (by id and by name), the LO, the user
and the user's active plan and enrolment refs are one consistent BatchGetItem when the
portal is addressed by id (two when by name).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from planhub.errors import InvalidInput, NotFound
from planhub.plans import enrolment_link
from planhub.plans.assignment import Holdings
from planhub.plans.models import GroupActivePlan, GroupPlan, Plan, iso
from planhub.records.group import Group
from planhub.records.learning_object import LearningObject
from planhub.records.portal import Portal
from planhub.records.repository import RecordRepository
from planhub.records.user import User
from planhub.storage import Found, Table
from planhub.storage import keys as table_keys
from planhub.storage.keys import Key


@dataclass(frozen=True)
class UserAssignmentContext:
    portal: Portal
    lo: LearningObject | None
    user: User | None
    holdings: Holdings


@dataclass(frozen=True)
class MembersContext:
    portal: Portal | None
    lo: LearningObject | None
    users: dict[str, User]
    holdings: dict[str, Holdings]


@dataclass(frozen=True)
class UsersAssignmentContext:
    portal: Portal
    lo: LearningObject | None
    users: dict[str, User]
    holdings: dict[str, Holdings]


@dataclass(frozen=True)
class PortalUser:
    portal: Portal
    user: User | None


@dataclass(frozen=True)
class GroupPlanProgress:
    group_plan: GroupPlan
    parts: list[dict[str, Any]]  # the progress items: `members`, `assigned`, `skipped`, `failed`


@dataclass(frozen=True)
class PlanList:
    plans: list[Plan]
    cursor: str | None


@dataclass(frozen=True)
class _ListPosition:
    """Where a plan list's next page starts: the partition (active or archived) and the key in it."""

    archived: bool
    start: str | None

    def encode(self) -> str:
        raw = json.dumps({"archived": self.archived, "start": self.start}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    @classmethod
    def decode(cls, cursor: str | None) -> _ListPosition:
        if not cursor:
            return cls(archived=False, start=None)
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            archived, start = raw["archived"], raw["start"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            raise InvalidInput("cursor is not valid") from error
        if not isinstance(archived, bool) or not (start is None or isinstance(start, str)):
            raise InvalidInput("cursor is not valid")
        return cls(archived=archived, start=start)


@dataclass(frozen=True)
class GroupAssignmentContext:
    portal: Portal
    lo: LearningObject | None
    group: Group | None


class PlanRepository:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.records = RecordRepository(table)

    # --- the portal, by id or by name, with what else the request reads -------------------

    def _read(self, keys: Sequence[Key]) -> Found:
        return self.table.found(keys, consistent=True)

    def user_assignment_context(self, instance: str, lo_id: str, user_id: str) -> UserAssignmentContext:
        def keys_in(portal_id: str) -> list[Key]:
            return [
                table_keys.user(portal_id, user_id),
                table_keys.active_plan(portal_id, user_id, lo_id),
                table_keys.active_enrolment(portal_id, user_id, lo_id),
            ]

        lo_key = table_keys.learning_object(lo_id)
        portal, found = self.records.read_in_portal(instance, keys_in, [lo_key], consistent=True)
        lo_item = found.get(lo_key)
        user_item = found.get(table_keys.user(portal.id, user_id))
        return UserAssignmentContext(
            portal=portal,
            lo=LearningObject.from_item(lo_item) if lo_item else None,
            user=User.from_item(user_item) if user_item else None,
            holdings=_holdings(found, portal.id, user_id, lo_id),
        )

    def group_assignment_context(self, instance: str, lo_id: str, group_id: str) -> GroupAssignmentContext:
        lo_key = table_keys.learning_object(lo_id)
        portal, found = self.records.read_in_portal(
            instance, lambda p: [table_keys.group(p, group_id)], [lo_key], consistent=True
        )
        lo_item = found.get(lo_key)
        group_item = found.get(table_keys.group(portal.id, group_id))
        return GroupAssignmentContext(
            portal=portal,
            lo=LearningObject.from_item(lo_item) if lo_item else None,
            group=Group.from_item(group_item) if group_item else None,
        )

    def users_assignment_context(self, instance: str, lo_id: str, user_ids: Sequence[str]) -> UsersAssignmentContext:
        """The portal, the LO, the users and what each holds for the LO: one BatchGetItem per 100 keys."""

        def keys_in(portal_id: str) -> list[Key]:
            keys: list[Key] = []
            for user_id in user_ids:
                keys += [
                    table_keys.user(portal_id, user_id),
                    table_keys.active_plan(portal_id, user_id, lo_id),
                    table_keys.active_enrolment(portal_id, user_id, lo_id),
                ]
            return keys

        lo_key = table_keys.learning_object(lo_id)
        portal, found = self.records.read_in_portal(instance, keys_in, [lo_key], consistent=True)
        lo_item = found.get(lo_key)
        users = {}
        for user_id in user_ids:
            item = found.get(table_keys.user(portal.id, user_id))
            if item is not None:
                users[user_id] = User.from_item(item)
        return UsersAssignmentContext(
            portal=portal,
            lo=LearningObject.from_item(lo_item) if lo_item else None,
            users=users,
            holdings={user_id: _holdings(found, portal.id, user_id, lo_id) for user_id in users},
        )

    def portal_and_user(self, instance: str, user_id: str) -> PortalUser:
        """The portal (by id or name) and its user, in one BatchGetItem when addressed by id."""
        portal, found = self.records.read_in_portal(instance, lambda p: [table_keys.user(p, user_id)], consistent=False)
        item = found.get(table_keys.user(portal.id, user_id))
        return PortalUser(portal, User.from_item(item) if item else None)

    # --- what a user holds ------------------------------------------------------------------

    def holdings(self, portal_id: str, user_id: str, lo_id: str) -> Holdings:
        found = self._read(
            [table_keys.active_plan(portal_id, user_id, lo_id), table_keys.active_enrolment(portal_id, user_id, lo_id)]
        )
        return _holdings(found, portal_id, user_id, lo_id)

    def with_enrolments(self, holdings: Sequence[Holdings]) -> list[Holdings]:
        """`holdings` with the enrolment items their refs name (one BatchGetItem per 100)."""
        wanted = [table_keys.enrolment(h.enrolment_id) for h in holdings if h.enrolment_id is not None]
        found = self._read(wanted)
        return [
            h
            if h.enrolment_id is None
            else replace(h, enrolment=enrolment_link.active_enrolment(found.get(table_keys.enrolment(h.enrolment_id))))
            for h in holdings
        ]

    def with_enrolment(self, holdings: Holdings) -> Holdings:
        """`holdings` with the enrolment item its ref names (one GetItem)."""
        if holdings.enrolment_id is None:
            return holdings
        item = self.table.get(table_keys.enrolment(holdings.enrolment_id), consistent=True)
        return replace(holdings, enrolment=enrolment_link.active_enrolment(item))

    def members_context(self, portal_id: str, lo_id: str, user_ids: Sequence[str]) -> MembersContext:
        """The portal, the LO, the users among `user_ids` and what each holds for the LO (BatchGetItem)."""
        keys: list[Key] = [table_keys.portal(portal_id), table_keys.learning_object(lo_id)]
        for user_id in user_ids:
            keys += [
                table_keys.user(portal_id, user_id),
                table_keys.active_plan(portal_id, user_id, lo_id),
                table_keys.active_enrolment(portal_id, user_id, lo_id),
                table_keys.plan_unassigned(portal_id, user_id, lo_id),
            ]
        found = self._read(keys)
        portal_item = found.get(table_keys.portal(portal_id))
        lo_item = found.get(table_keys.learning_object(lo_id))
        users: dict[str, User] = {}
        for user_id in user_ids:
            item = found.get(table_keys.user(portal_id, user_id))
            if item is not None:
                users[user_id] = User.from_item(item)
        return MembersContext(
            portal=Portal.from_item(portal_item) if portal_item else None,
            lo=LearningObject.from_item(lo_item) if lo_item else None,
            users=users,
            holdings={user_id: _holdings(found, portal_id, user_id, lo_id) for user_id in users},
        )

    # --- plans ------------------------------------------------------------------------------

    def plan_or_group_plan(self, plan_id: int) -> Plan | GroupPlan:
        item = self.table.get(table_keys.plan(plan_id))
        if item is None:
            raise NotFound(f"Plan {plan_id} not found")
        if item.get("entity") == GroupPlan.entity_type:
            return GroupPlan.from_item(item)
        return Plan.from_item(item)

    def user_plan(self, plan_id: int) -> Plan:
        """A user's plan (strongly consistent: a change decides on it); a group assignment's id is not one."""
        item = self.table.get(table_keys.plan(plan_id), consistent=True)
        if item is None or item.get("entity") != Plan.entity_type:
            raise NotFound(f"Plan {plan_id} not found")
        return Plan.from_item(item)

    def plan_records(self, plan: Plan) -> tuple[User | None, LearningObject | None, Portal | None]:
        """The plan's user, LO and portal, in one BatchGetItem (what its emails name)."""
        user_key = table_keys.user(plan.portal_id, plan.user_id)
        lo_key, portal_key = table_keys.learning_object(plan.lo_id), table_keys.portal(plan.portal_id)
        found = self.table.found([user_key, lo_key, portal_key])
        user, lo, portal = found.get(user_key), found.get(lo_key), found.get(portal_key)
        return (
            User.from_item(user) if user else None,
            LearningObject.from_item(lo) if lo else None,
            Portal.from_item(portal) if portal else None,
        )

    def user_plans(
        self,
        portal_id: str,
        user_id: str,
        *,
        lo_id: str | None,
        archived: bool,
        due_before: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> PlanList:
        """A page of the user's plans: one Query of GSI1 (GSI3 for one LO) on the active partition,
        due soonest first; then, with `archived`, the archived partition (a second Query only on
        the page where the active plans run out). `due_before` (overdue) is a sort-key range."""
        index = "GSI3" if lo_id else "GSI1"
        position = _ListPosition.decode(cursor)
        if position.archived and (not archived or due_before is not None):
            raise InvalidInput("cursor is not valid")
        plans: list[Plan] = []
        while True:
            if lo_id:
                pk = table_keys.user_lo_plans_index(portal_id, user_id, lo_id, archived=position.archived)
            else:
                pk = table_keys.user_plans_index(portal_id, user_id, archived=position.archived)
            page = self.table.query(
                pk,
                index=index,
                sk_between=("0", iso(due_before)) if due_before is not None else None,
                limit=limit - len(plans),
                cursor=position.start,  # Table.query checks it belongs to this index and partition
            )
            plans += [Plan.from_item(i) for i in page.items]
            if page.cursor is not None:
                return PlanList(plans, _ListPosition(position.archived, page.cursor).encode())
            if position.archived or not archived or due_before is not None:
                return PlanList(plans, None)
            position = _ListPosition(archived=True, start=None)
            if len(plans) >= limit:
                return PlanList(plans, position.encode())

    def group_plan_progress(self, group_plan_id: int) -> GroupPlanProgress:
        """The group assignment and its progress items: one Query of its partition (a page per MB)."""
        items = list(self.table.query_all(table_keys.plan_pk(group_plan_id), consistent=True))
        head = next((i for i in items if i["SK"] == table_keys.plan(group_plan_id)["SK"]), None)
        if head is None or head.get("entity") != GroupPlan.entity_type:
            raise NotFound(f"Group assignment {group_plan_id} not found")
        parts = [i for i in items if str(i["SK"]).startswith(table_keys.GROUP_PLAN_PROGRESS_PREFIX)]
        return GroupPlanProgress(GroupPlan.from_item(head), parts)

    def find_user(self, portal_id: str, user_id: str) -> User | None:
        return self.records.find_user(portal_id, user_id)

    def group_plans_for_members(self, portal_id: str, group_id: str) -> list[GroupPlan]:
        """The group's active assignments (one per LO), as members joining now receive them."""
        pk = table_keys.group_active_plans_pk(portal_id, group_id)
        refs = [GroupActivePlan.from_item(i) for i in self.table.query_all(pk, consistent=True)]
        items = self.table.get_many([table_keys.plan(r.group_plan_id) for r in refs], consistent=True)
        return [GroupPlan.from_item(i) for i in items if i.get("entity") == GroupPlan.entity_type]

    def group_member_ids(self, portal_id: str, group_id: str) -> list[str]:
        return self.records.group_member_ids(portal_id, group_id)

    def catalog_records(
        self, portal_ids: Iterable[str], lo_ids: Iterable[str], users: Iterable[tuple[str, str]]
    ) -> tuple[dict[str, Portal], dict[str, LearningObject], dict[tuple[str, str], User]]:
        """Portals, LOs and users by id, in one BatchGetItem per 100 keys (what notices name)."""
        keys = [table_keys.portal(p) for p in set(portal_ids)]
        keys += [table_keys.learning_object(lo) for lo in set(lo_ids)]
        keys += [table_keys.user(p, u) for p, u in set(users)]
        portals: dict[str, Portal] = {}
        los: dict[str, LearningObject] = {}
        found_users: dict[tuple[str, str], User] = {}
        for item in self.table.get_many(keys):
            if item.get("entity") == "portal":
                portal = Portal.from_item(item)
                portals[portal.id] = portal
            elif item.get("entity") == "learning_object":
                lo = LearningObject.from_item(item)
                los[lo.id] = lo
            elif item.get("entity") == "user":
                user = User.from_item(item)
                found_users[(user.portal_id, user.id)] = user
        return portals, los, found_users


def _holdings(found: Found, portal_id: str, user_id: str, lo_id: str) -> Holdings:
    plan_ref = found.get(table_keys.active_plan(portal_id, user_id, lo_id))
    enrolment_ref = found.get(table_keys.active_enrolment(portal_id, user_id, lo_id))
    plan_id = int(plan_ref["plan_id"]) if plan_ref and plan_ref.get("plan_id") is not None else None
    unassigned = found.get(table_keys.plan_unassigned(portal_id, user_id, lo_id))
    return Holdings(
        plan_id=plan_id,
        enrolment_id=enrolment_link.active_enrolment_id(enrolment_ref),
        unassigned_at=datetime.fromisoformat(str(unassigned["at"]).replace("Z", "+00:00")) if unassigned else None,
    )
