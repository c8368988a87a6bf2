"""Reading what plans need. Every look-up is a GetItem, a BatchGetItem or a Query.

An assignment's reads go out together: the portal (by id and by name), the LO, the user
and the user's active plan and enrolment refs are one consistent BatchGetItem when the
portal is addressed by id (two when by name).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from planhub.errors import NotFound
from planhub.plans import enrolment_link
from planhub.plans.assignment import Holdings
from planhub.plans.models import GroupActivePlan, GroupPlan, Plan
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

    # --- what a user holds ------------------------------------------------------------------

    def holdings(self, portal_id: str, user_id: str, lo_id: str) -> Holdings:
        found = self._read(
            [table_keys.active_plan(portal_id, user_id, lo_id), table_keys.active_enrolment(portal_id, user_id, lo_id)]
        )
        return _holdings(found, portal_id, user_id, lo_id)

    def with_enrolment(self, holdings: Holdings) -> Holdings:
        """`holdings` with the enrolment item its ref names (one GetItem)."""
        if holdings.enrolment_id is None:
            return holdings
        item = self.table.get(table_keys.enrolment(holdings.enrolment_id), consistent=True)
        return Holdings(holdings.plan_id, holdings.enrolment_id, enrolment_link.active_enrolment(item))

    def members_context(self, portal_id: str, lo_id: str, user_ids: Sequence[str]) -> MembersContext:
        """The portal, the LO, the users among `user_ids` and what each holds for the LO (BatchGetItem)."""
        keys: list[Key] = [table_keys.portal(portal_id), table_keys.learning_object(lo_id)]
        for user_id in user_ids:
            keys += [
                table_keys.user(portal_id, user_id),
                table_keys.active_plan(portal_id, user_id, lo_id),
                table_keys.active_enrolment(portal_id, user_id, lo_id),
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
    return Holdings(plan_id=plan_id, enrolment_id=enrolment_link.active_enrolment_id(enrolment_ref))
