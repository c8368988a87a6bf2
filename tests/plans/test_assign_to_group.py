"""POST /enrolment/plan/{instance}/{loId}/group/{groupId}: recorded at once, members' plans asynchronously."""

from __future__ import annotations

from typing import Any

import pytest

from planhub.storage import Table
from planhub.storage import keys as table_keys
from planhub_local import tokens
from planhub_local.stack import LocalStack
from tests.conftest import Published
from tests.plans.conftest import OTHER_PORTAL, PORTAL, PORTAL_NAME, Plans, admin_token, learner_token


@pytest.fixture
def team(plans: Plans) -> list[str]:
    """Group g1 of u1, u2 and u3."""
    members = ["u1", "u2", "u3"]
    plans.given.group("g1", members, PORTAL)
    plans.stack.drain()
    return members


def assigned_users(published: Published) -> list[str]:
    return sorted(e["data"]["recipient"]["user_id"] for e in published.events("plan assigned"))


def eventbridge(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "0d6b8f1e-0000-4000-8000-000000000002",
        "detail-type": detail["type"],
        "source": "planhub",
        "account": "123456789012",
        "time": detail["occurred_at"],
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


# --- the answer, and who may assign a group --------------------------------------------------


def test_a_group_assignment_answers_its_id_at_once(plans: Plans, team: list[str], published: Published) -> None:
    answer = plans.assign_group("g1", {"status": 1, "notify": False}, token=admin_token())

    assert answer.status == 200
    assert answer.json()["id"].isdigit()
    assert plans.plan(answer.json()["id"])["type"] == "group"


def test_every_member_gets_a_plan_from_the_group_assignment(
    plans: Plans, team: list[str], published: Published
) -> None:
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]

    assert assigned_users(published) == team
    for member in team:
        plan = plans.plan(plans.assigned(member))
        assert (plan["source_type"], plan["source_id"], plan["assigner_id"]) == ("group", int(group_plan), "staff-1")


def test_members_plans_carry_the_due_date_and_the_note(plans: Plans, team: list[str]) -> None:
    body = {"status": 1, "notify": False, "due_date": "2030-02-01T12:00:00Z", "data": {"note": "Team goal"}}
    plans.assign_group("g1", body)
    plans.stack.drain()

    plan = plans.plan(plans.assigned("u2"))

    assert (plan["due_date"], plan["data"]["note"]) == ("2030-02-01T12:00:00Z", "Team goal")


def test_staff_may_assign_a_group(plans: Plans, team: list[str]) -> None:
    answer = plans.assign_group("g1", token=tokens.staff())

    assert answer.status == 200


@pytest.mark.parametrize(
    "token",
    [learner_token("mgr"), learner_token("u1"), admin_token(portal_id=OTHER_PORTAL)],
    ids=["a manager", "a member", "an admin of another portal"],
)
def test_only_portal_admins_and_staff_may_assign_a_group(plans: Plans, team: list[str], token: str) -> None:
    answer = plans.assign_group("g1", token=token)

    assert answer.status == 403
    assert "message" in answer.json()


def test_without_a_token_the_answer_is_403(plans: Plans, team: list[str]) -> None:
    answer = plans.api.post(f"/enrolment/plan/{PORTAL}/c1/group/g1", {"status": 1})

    assert answer.status == 403


def test_the_portal_may_be_named_by_its_name(plans: Plans, team: list[str]) -> None:
    answer = plans.assign_group("g1", instance=PORTAL_NAME, token=admin_token())

    assert answer.status == 200


# --- invalid input and unknown things --------------------------------------------------------------


def test_an_unknown_group_is_404(plans: Plans, team: list[str]) -> None:
    answer = plans.assign_group("nope")

    assert answer.status == 404
    assert "nope" in answer.json()["message"]


def test_an_unknown_portal_is_404(plans: Plans, team: list[str]) -> None:
    answer = plans.assign_group("g1", instance="nowhere")

    assert answer.status == 404


def test_an_unknown_learning_object_is_404(plans: Plans, team: list[str]) -> None:
    answer = plans.assign_group("g1", lo_id="nope")

    assert answer.status == 404


def test_a_module_cannot_be_assigned_to_a_group(plans: Plans, team: list[str]) -> None:
    answer = plans.assign_group("g1", lo_id="m1")

    assert answer.status == 400
    assert answer.json() == {"message": "Assignment is not supported for this LO"}


@pytest.mark.parametrize(
    "body",
    [
        {"status": 2},
        {},
        {"status": 1, "version": 2},
        {"status": 1, "due_date": "soon"},
        {"status": 1, "exclude_self": 3},
    ],
    ids=["status 2", "no status", "unknown field", "bad due date", "exclude_self not a bool"],
)
def test_invalid_bodies_are_400(plans: Plans, team: list[str], body: dict[str, Any]) -> None:
    answer = plans.assign_group("g1", body)

    assert answer.status == 400
    assert "message" in answer.json()


# --- the user semantics, per member ---------------------------------------------------------------


def test_exclude_self_leaves_the_caller_out(plans: Plans, published: Published) -> None:
    plans.given.user("admin-1", PORTAL, roles=["admin"])
    plans.given.group("g2", ["u1", "admin-1"], PORTAL)

    plans.assign_group("g2", {"status": 1, "notify": False, "exclude_self": True}, token=admin_token())

    assert assigned_users(published) == ["u1"]


def test_exclude_self_still_leaves_the_caller_out_when_they_join_later(plans: Plans, published: Published) -> None:
    plans.given.user("admin-1", PORTAL, roles=["admin"])
    plans.given.group("g2", ["u1"], PORTAL)
    plans.assign_group("g2", {"status": 1, "notify": False, "exclude_self": True}, token=admin_token())

    plans.given.group("g2", ["u1", "admin-1", "u2"], PORTAL)

    assert assigned_users(published) == ["u1", "u2"]


def test_without_exclude_self_the_caller_is_assigned_too(plans: Plans, published: Published) -> None:
    plans.given.user("admin-1", PORTAL, roles=["admin"])
    plans.given.group("g2", ["u1", "admin-1"], PORTAL)

    plans.assign_group("g2", {"status": 1, "notify": False, "exclude_self": None}, token=admin_token())

    assert assigned_users(published) == ["admin-1", "u1"]


def test_a_member_already_assigned_keeps_their_plan_with_the_groups_due_date(
    plans: Plans, team: list[str], published: Published
) -> None:
    own = plans.assigned("u1", {"status": 1, "notify": False, "due_date": "2030-01-01T00:00:00Z"})

    plans.assign_group("g1", {"status": 1, "due_date": "2030-06-01T00:00:00Z"})

    assert assigned_users(published) == ["u1", "u2", "u3"]  # u1's from before, u2's and u3's now
    assert plans.assigned("u1") == own
    assert plans.plan(own)["due_date"] == "2030-06-01T00:00:00Z"
    assert plans.emails(to="u1@example.com") == []


def test_each_member_gets_the_new_assignment_email(plans: Plans, team: list[str]) -> None:
    plans.assign_group("g1", {"status": 1, "data": {"note": "<b>all hands</b>"}})

    emails = plans.emails()

    assert sorted(e["to"][0] for e in emails) == [f"{m}@example.com" for m in team]
    assert all("&lt;b&gt;all hands&lt;/b&gt;" in e["body"] for e in emails)


def test_no_member_is_emailed_when_notify_is_false(plans: Plans, team: list[str]) -> None:
    plans.assign_group("g1", {"status": 1, "notify": False})

    assert plans.emails() == []


def test_a_member_who_is_not_a_user_of_the_portal_gets_no_plan(plans: Plans, published: Published) -> None:
    plans.given.group("g3", ["u1", "ghost"], PORTAL)

    plans.assign_group("g3", {"status": 1, "notify": False})

    assert assigned_users(published) == ["u1"]
    assert plans.stack.failures == []


def test_a_member_whose_plan_fails_does_not_stop_the_others(
    plans: Plans, team: list[str], published: Published, stack: LocalStack
) -> None:
    # Given u2's active plan ref is broken (it names no plan), so every write of a plan for u2 fails
    Table(stack.table_name).put({**table_keys.active_plan(PORTAL, "u2", "c1"), "entity": "active_plan"})

    plans.assign_group("g1", {"status": 1, "notify": False})

    # Then u1 and u3 have their plans, and the batch that failed for u2 is dead-lettered after retries
    assert assigned_users(published) == ["u1", "u3"]
    [failure] = stack.failures
    assert failure["requestPayload"]["detail-type"] == "group plan batch"
    assert "u2" in failure["responsePayload"]["errorMessage"]


# --- later changes and redeliveries ---------------------------------------------------------------


def test_members_added_later_get_the_groups_active_plans(plans: Plans, team: list[str], published: Published) -> None:
    plans.given.learning_object("c2", "course", PORTAL)
    plans.assign_group("g1", {"status": 1, "notify": False})
    plans.assign_group("g1", {"status": 1, "notify": False}, lo_id="c2")
    plans.given.user("u4", PORTAL)

    plans.given.group("g1", [*team, "u4"], PORTAL)

    plans_of_u4 = [e["data"]["plan"] for e in published.events("plan assigned") if e["data"]["plan"]["user_id"] == "u4"]
    assert sorted(plan["lo_id"] for plan in plans_of_u4) == ["c1", "c2"]


def test_members_removed_from_the_group_keep_their_plans(plans: Plans, team: list[str]) -> None:
    plans.assign_group("g1", {"status": 1, "notify": False})
    plans.stack.drain()
    plan_id = plans.assigned("u3")

    plans.given.group("g1", ["u1", "u2"], PORTAL)
    plans.stack.drain()

    assert plans.plan(plan_id)["archived"] is False


def test_a_redelivered_batch_creates_no_second_plan(
    plans: Plans, team: list[str], published: Published, stack: LocalStack
) -> None:
    plans.assign_group("g1", {"status": 1, "notify": False})
    [batch] = published.events("group plan batch")
    before = assigned_users(published)

    stack.invoke("AssignGroupPlanBatchFunction", eventbridge(batch))

    assert assigned_users(published) == before == team


def test_a_redelivered_group_assignment_announces_no_new_batches(
    plans: Plans, team: list[str], published: Published, stack: LocalStack
) -> None:
    plans.assign_group("g1", {"status": 1, "notify": False})
    [assigned] = published.events("group plan assigned")

    stack.invoke("FanOutGroupPlanFunction", eventbridge(assigned))

    assert len(published.events("group plan batch")) == 1
