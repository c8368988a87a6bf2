"""A group of 10,000 members: the fan-out completes, every member gets exactly one plan."""

from __future__ import annotations

import time
from typing import Any

import pytest

from planhub.records.group import Group, GroupMember
from planhub.records.user import User
from planhub.storage import Table
from planhub.storage.codec import from_attributes
from planhub_local.stack import LocalStack
from planhub_local.template import ACCOUNT, REGION
from tests.plans.conftest import PORTAL, Plans, admin_token

MEMBERS = 10_000


def stored(stack: LocalStack, partition_prefix: str) -> list[dict[str, Any]]:
    """Every item whose partition key starts with `partition_prefix`, read from moto's memory.

    Reading 20,000 items back through the API (or even GetItem) would take longer than the
    fan-out itself; this checks the outcome directly, as `stack.sent_emails()` reads SES.
    """
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[ACCOUNT][REGION].get_table(stack.table_name)
    return [
        from_attributes(item.to_json()["Attributes"])
        for hash_key, partition in list(table.items.items())
        if str(hash_key.value).startswith(partition_prefix)
        for item in list(partition.values())
    ]


@pytest.fixture
def big_group(plans: Plans, stack: LocalStack) -> list[str]:
    """10,000 users of p-acme, all members of group "everyone".

    Stored with the catalog's own entities in BatchWriteItem calls, as the catalog would store
    them: through the admin API the group alone is 101 transactions and events, which the
    catalog's tests cover; this test is about the fan-out.
    """
    members = [f"member-{n:05d}" for n in range(MEMBERS)]
    users = [User(portal_id=PORTAL, id=m, email=f"{m}@example.com", name=m.title()) for m in members]
    memberships = [GroupMember(portal_id=PORTAL, group_id="everyone", user_id=m) for m in members]
    group = Group(portal_id=PORTAL, id="everyone", title="Everyone")
    Table(stack.table_name).write_many(
        [group.to_item(), *(u.to_item() for u in users), *(m.to_item() for m in memberships)]
    )
    stack.drain()
    return members


def test_a_group_of_10000_members_gets_one_plan_each(plans: Plans, big_group: list[str], stack: LocalStack) -> None:
    # Given one member already assigned the LO on their own
    own = plans.assigned("member-00042", {"status": 1, "notify": False})
    started = time.monotonic()

    # When an admin assigns the LO to the whole group
    answer = plans.assign_group("everyone", {"status": 1, "notify": False}, token=admin_token())
    assert answer.status == 200
    stack.drain(timeout_seconds=600)

    # Then every member has exactly one plan, nothing failed, and the one assigned before kept theirs
    elapsed = time.monotonic() - started
    group_plan_id = int(answer.json()["id"])
    user_plans = [p for p in stored(stack, "PLAN#") if p["entity"] == "plan"]
    assert sorted(p["user_id"] for p in user_plans) == sorted(big_group)  # one plan each, none twice
    refs = {r["PK"]: r["plan_id"] for r in stored(stack, "ACTIVEPLAN#")}
    assert sorted(refs.values()) == sorted(p["id"] for p in user_plans)
    assert [p["user_id"] for p in user_plans if p.get("source_id") != group_plan_id] == ["member-00042"]
    assert stack.failures == []
    assert plans.assigned("member-00042") == own
    assert plans.plan(plans.assigned("member-09999"))["source_id"] == group_plan_id
    print(f"fan-out of {MEMBERS} members: {elapsed:.1f} s")
