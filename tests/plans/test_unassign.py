"""DELETE /enrolment/plan/{planId}: the plan is archived, its enrolment untouched; group syncs do not bring it back."""

from __future__ import annotations

import pytest

from planhub_local import tokens
from planhub_local.stack import LocalStack
from tests.conftest import Published
from tests.plans.conftest import OTHER_PORTAL, PORTAL, Plans, admin_token, learner_token
from tests.plans.test_assign_to_group import eventbridge


def unassign(plans: Plans, plan_id: str, token: str | None = None) -> int:
    return plans.api.delete(f"/enrolment/plan/{plan_id}", token=token or plans.staff).status


def active_plan_ids(plans: Plans, user: str = "u1") -> list[str]:
    answer = plans.api.get(f"/enrolment/plan/{PORTAL}/user/{user}", token=plans.staff)
    return [p["id"] for p in answer.json()["data"]]


def test_unassigning_archives_the_plan(plans: Plans) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})

    assert unassign(plans, plan_id, admin_token()) == 204

    plan = plans.plan(plan_id)
    assert plan["archived"] is True
    assert plan["archived_by"] == "admin-1"
    assert active_plan_ids(plans) == []


def test_the_enrolment_is_untouched(plans: Plans) -> None:
    enrolment_id = plans.enrol("u1", "c1", "in-progress")
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})
    before = plans.enrolment(enrolment_id)

    assert unassign(plans, plan_id) == 204

    assert plans.enrolment(enrolment_id) == before


def test_unassigning_twice_is_204_and_changes_nothing(plans: Plans, published: Published) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})
    unassign(plans, plan_id)
    archived = plans.plan(plan_id)

    assert unassign(plans, plan_id) == 204

    assert plans.plan(plan_id) == archived
    assert len(published.events("plan unassigned")) == 1


def test_the_user_may_be_assigned_again_later(plans: Plans) -> None:
    old = plans.assigned("u1", {"status": 1, "notify": False})
    unassign(plans, old)

    new = plans.assigned("u1", {"status": 1, "notify": False})

    assert new != old
    assert active_plan_ids(plans) == [new]


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (learner_token("mgr"), 204),
        (admin_token(), 204),
        (tokens.staff(), 204),
        (learner_token("u1"), 403),
        (learner_token("u2"), 403),
        (admin_token(portal_id=OTHER_PORTAL), 403),
    ],
    ids=["their manager", "a portal admin", "staff", "the user", "another learner", "an admin of another portal"],
)
def test_who_may_unassign(plans: Plans, token: str, status: int) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})

    assert unassign(plans, plan_id, token) == status
    assert plans.plan(plan_id)["archived"] is (status == 204)


def test_an_unknown_plan_is_404(plans: Plans) -> None:
    assert unassign(plans, "12345") == 404
    assert unassign(plans, "abc") == 404


# --- the group's later syncs ---------------------------------------------------------------------


@pytest.fixture
def group_plan_of_u1(plans: Plans) -> str:
    """g1 (u1, u2) is assigned c1; then u1's plan is unassigned."""
    plans.given.group("g1", ["u1", "u2"])
    plans.assign_group("g1", {"status": 1, "notify": False})
    plans.stack.drain()
    [plan_id] = active_plan_ids(plans)
    assert unassign(plans, plan_id, admin_token()) == 204
    return plan_id


def test_a_redelivered_fan_out_batch_does_not_bring_it_back(
    plans: Plans, published: Published, group_plan_of_u1: str, stack: LocalStack
) -> None:
    batches = published.events("group plan batch")
    assert batches
    for batch in batches:
        stack.invoke("AssignGroupPlanBatchFunction", eventbridge(batch))

    assert active_plan_ids(plans) == []
    assert len(active_plan_ids(plans, "u2")) == 1


def test_a_redelivered_group_assignment_does_not_bring_it_back(
    plans: Plans, published: Published, group_plan_of_u1: str, stack: LocalStack
) -> None:
    [assigned] = published.events("group plan assigned")
    stack.invoke("FanOutGroupPlanFunction", eventbridge(assigned))
    stack.drain()

    assert active_plan_ids(plans) == []


def test_new_members_joining_do_not_bring_it_back(plans: Plans, group_plan_of_u1: str) -> None:
    plans.given.user("u4", PORTAL)
    plans.given.group("g1", ["u1", "u2", "u4"])
    plans.stack.drain()

    assert active_plan_ids(plans) == []
    assert len(active_plan_ids(plans, "u4")) == 1


def test_leaving_and_rejoining_the_group_does_not_bring_it_back(plans: Plans, group_plan_of_u1: str) -> None:
    plans.given.group("g1", ["u2"])
    plans.given.group("g1", ["u1", "u2"])
    plans.stack.drain()

    assert active_plan_ids(plans) == []


def test_a_new_group_assignment_made_after_the_unassignment_assigns_again(plans: Plans, group_plan_of_u1: str) -> None:
    plans.assign_group("g1", {"status": 1, "notify": False})
    plans.stack.drain()

    assert len(active_plan_ids(plans)) == 1
