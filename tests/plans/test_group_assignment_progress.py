"""GET /enrolment/plan/group-assignment/{id}: how far a group assignment's fan-out has got, exactly."""

from __future__ import annotations

from typing import Any

import pytest

from planhub_local import tokens
from planhub_local.stack import LocalStack
from tests.conftest import Published
from tests.plans.conftest import OTHER_PORTAL, PORTAL, Plans, admin_token, learner_token
from tests.plans.test_assign_to_group import eventbridge


def progress(plans: Plans, group_plan_id: str, token: str | None = None) -> dict[str, Any]:
    answer = plans.api.get(f"/enrolment/plan/group-assignment/{group_plan_id}", token=token or plans.staff)
    assert answer.status == 200, answer.body
    return dict(answer.json())


def counts(answer: dict[str, Any]) -> tuple[int, int, int, int, bool]:
    return answer["members"], answer["assigned"], answer["skipped"], answer["failed"], answer["done"]


@pytest.fixture
def team(plans: Plans) -> list[str]:
    plans.given.user("admin-1", PORTAL, roles=["admin"])
    members = ["u1", "u2", "u3", "admin-1"]
    plans.given.group("g1", members, PORTAL)
    plans.stack.drain()
    return members


def test_the_answer_names_the_group_and_lo(plans: Plans, team: list[str]) -> None:
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]
    plans.stack.drain()

    answer = progress(plans, group_plan)

    assert {k: answer[k] for k in ("id", "group_id", "lo_id")} == {"id": group_plan, "group_id": "g1", "lo_id": "c1"}
    assert counts(answer) == (4, 4, 0, 0, True)


def test_before_the_fan_out_nothing_is_done(plans: Plans, team: list[str]) -> None:
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]

    assert counts(progress(plans, group_plan)) == (0, 0, 0, 0, False)


def test_members_already_assigned_and_the_excluded_caller_are_skipped(plans: Plans, team: list[str]) -> None:
    plans.assigned("u1", {"status": 1, "notify": False})
    body = {"status": 1, "notify": False, "exclude_self": True}
    group_plan = plans.assign_group("g1", body, token=admin_token("admin-1")).json()["id"]
    plans.stack.drain()

    assert counts(progress(plans, group_plan)) == (4, 2, 2, 0, True)


def test_members_who_are_not_users_of_the_portal_failed(plans: Plans, team: list[str]) -> None:
    plans.given.group("g1", [*team, "ghost"], PORTAL)
    plans.stack.drain()
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]
    plans.stack.drain()

    assert counts(progress(plans, group_plan)) == (5, 4, 0, 1, True)


def test_counts_stay_exact_when_the_fan_out_events_are_replayed(
    plans: Plans, published: Published, team: list[str], stack: LocalStack
) -> None:
    plans.assigned("u1", {"status": 1, "notify": False})
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]
    plans.stack.drain()
    before = progress(plans, group_plan)

    for batch in published.events("group plan batch"):
        stack.invoke("AssignGroupPlanBatchFunction", eventbridge(batch))
    [assigned] = published.events("group plan assigned")
    stack.invoke("FanOutGroupPlanFunction", eventbridge(assigned))
    stack.drain()

    assert progress(plans, group_plan) == before
    assert counts(before) == (4, 3, 1, 0, True)


def test_a_second_delivery_of_a_batch_counts_each_member_once(
    plans: Plans, published: Published, team: list[str], stack: LocalStack
) -> None:
    """Only the delivery that created a member's plan counts them assigned; the other's "skipped" gives way."""
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]
    plans.stack.drain()
    # The second delivery saw the members already assigned (by the first): it counts them skipped.
    for batch in published.events("group plan batch"):
        stack.invoke("AssignGroupPlanBatchFunction", eventbridge(batch))

    assert counts(progress(plans, group_plan)) == (4, 4, 0, 0, True)


def test_a_failed_member_retried_successfully_counts_as_assigned(
    plans: Plans, team: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from planhub.plans import service

    original = service.PlanService.assign_all
    failures: list[str] = []

    def assign_all(self: service.PlanService, members: Any) -> Any:
        results = original(self, [m for m in members if m[0].user.id != "u2" or failures])
        if not failures and any(m[0].user.id == "u2" for m in members):
            failures.append("u2")
            index = next(i for i, m in enumerate(members) if m[0].user.id == "u2")
            results.insert(index, RuntimeError("throttled"))
        return results

    monkeypatch.setattr(service.PlanService, "assign_all", assign_all)
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]
    plans.stack.drain()  # the batch fails for u2, and Lambda's retry assigns u2

    assert failures == ["u2"]
    assert counts(progress(plans, group_plan)) == (4, 4, 0, 0, True)


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (admin_token(), 200),
        (tokens.staff(), 200),
        (learner_token("u1"), 403),
        (learner_token("mgr"), 403),
        (admin_token(portal_id=OTHER_PORTAL), 403),
    ],
    ids=["a portal admin", "staff", "a member", "a manager", "an admin of another portal"],
)
def test_the_portals_admins_and_staff_may_read_it(plans: Plans, team: list[str], token: str, status: int) -> None:
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]

    answer = plans.api.get(f"/enrolment/plan/group-assignment/{group_plan}", token=token)

    assert answer.status == status
    if status == 403:
        assert "g1" not in answer.body


def test_a_users_plan_or_unknown_id_is_404(plans: Plans) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})

    for unknown in (plan_id, "12345", "abc"):
        assert plans.api.get(f"/enrolment/plan/group-assignment/{unknown}", token=plans.staff).status == 404
