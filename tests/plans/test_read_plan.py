"""GET /enrolment/plan/{planId}: to the plan's user, their managers, portal admins and staff."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from planhub_local import tokens
from tests.plans.conftest import OTHER_PORTAL, Plans, admin_token, learner_token


@pytest.fixture
def plan_id(plans: Plans) -> str:
    return plans.assigned("u1", {"status": 1, "notify": False})


def test_the_plans_user_may_read_it(plans: Plans, plan_id: str) -> None:
    answer = plans.api.get(f"/enrolment/plan/{plan_id}", token=learner_token("u1"))

    assert answer.status == 200
    assert answer.json()["id"] == plan_id


def test_the_users_manager_may_read_it(plans: Plans, plan_id: str) -> None:
    answer = plans.api.get(f"/enrolment/plan/{plan_id}", token=learner_token("mgr"))

    assert answer.status == 200


def test_a_portal_admin_may_read_it(plans: Plans, plan_id: str) -> None:
    answer = plans.api.get(f"/enrolment/plan/{plan_id}", token=admin_token())

    assert answer.status == 200


def test_staff_may_read_it(plans: Plans, plan_id: str) -> None:
    answer = plans.api.get(f"/enrolment/plan/{plan_id}", token=tokens.staff())

    assert answer.status == 200


@pytest.mark.parametrize(
    "token",
    [learner_token("u2"), learner_token("u3"), admin_token(portal_id=OTHER_PORTAL)],
    ids=["a learner with the same manager", "another learner", "an admin of another portal"],
)
def test_anyone_else_is_refused_with_403(plans: Plans, plan_id: str, token: str) -> None:
    answer = plans.api.get(f"/enrolment/plan/{plan_id}", token=token)

    assert answer.status == 403
    assert "message" in answer.json()


def test_an_unknown_plan_is_404(plans: Plans) -> None:
    answer = plans.api.get("/enrolment/plan/12345", token=plans.staff)

    assert answer.status == 404
    assert "12345" in answer.json()["message"]


@pytest.mark.parametrize("plan_id", ["abc", "0", "-5", "\u00b2", "1" * 20])
def test_a_plan_id_that_is_not_a_positive_integer_of_at_most_19_digits_is_400(plans: Plans, plan_id: str) -> None:
    # Path ids are validated like ids in bodies (docs/product.md "Errors and bad input"); "²" was a 500
    answer = plans.api.get(f"/enrolment/plan/{quote(plan_id)}", token=plans.staff)

    assert answer.status == 400
    assert "planId" in answer.json()["message"]


def test_without_a_token_the_answer_is_403(plans: Plans, plan_id: str) -> None:
    answer = plans.api.get(f"/enrolment/plan/{plan_id}")

    assert answer.status == 403


def test_a_group_assignment_is_readable_by_the_portals_admins(plans: Plans) -> None:
    plans.given.group("g1", ["u1"], "p-acme")
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]

    answer = plans.api.get(f"/enrolment/plan/{group_plan}", token=admin_token())

    assert answer.status == 200
    assert (answer.json()["type"], answer.json()["group_id"], answer.json()["user_id"]) == ("group", "g1", None)


def test_a_group_assignment_is_not_readable_by_its_members(plans: Plans) -> None:
    plans.given.group("g1", ["u1"], "p-acme")
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]

    answer = plans.api.get(f"/enrolment/plan/{group_plan}", token=learner_token("u1"))

    assert answer.status == 403
