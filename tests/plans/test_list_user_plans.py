"""GET /enrolment/plan/{instance}/user/{userId}: a user's plans, due soonest first, one Query a page."""

from __future__ import annotations

import pytest

from planhub_local import dynamodb_calls, tokens
from tests.plans.conftest import OTHER_PORTAL, PORTAL, PORTAL_NAME, Plans, admin_token, in_days, learner_token


def listed(plans: Plans, query: str = "", *, user: str = "u1", token: str | None = None) -> list[dict[str, object]]:
    answer = plans.api.get(f"/enrolment/plan/{PORTAL}/user/{user}{query}", token=token or plans.staff)
    assert answer.status == 200, answer.body
    return list(answer.json()["data"])


@pytest.fixture
def four(plans: Plans) -> dict[str, str]:
    """u1 holds plans of c1 (due in 5 days), c2 (no due date), c3 (due in 1 day), c4 (overdue)."""
    for lo in ("c2", "c3", "c4"):
        plans.given.learning_object(lo, "course", PORTAL)
    return {
        "c1": plans.assigned("u1", {"status": 1, "due_date": in_days(5), "notify": False}),
        "c2": plans.assigned("u1", {"status": 1, "notify": False}, lo_id="c2"),
        "c3": plans.assigned("u1", {"status": 1, "due_date": in_days(1), "notify": False}, lo_id="c3"),
        "c4": plans.assigned("u1", {"status": 1, "due_date": in_days(-2), "notify": False}, lo_id="c4"),
    }


def test_active_plans_come_due_soonest_first_and_without_a_due_date_last(plans: Plans, four: dict[str, str]) -> None:
    assert [p["lo_id"] for p in listed(plans)] == ["c4", "c3", "c1", "c2"]


def test_each_plan_is_answered_as_get_answers_it(plans: Plans, four: dict[str, str]) -> None:
    [first] = listed(plans, "?lo_id=c1")

    assert first == plans.plan(four["c1"])


def test_overdue_keeps_the_plans_past_due(plans: Plans, four: dict[str, str]) -> None:
    assert [p["id"] for p in listed(plans, "?overdue=true")] == [four["c4"]]


def test_lo_id_keeps_that_los_plans(plans: Plans, four: dict[str, str]) -> None:
    assert [p["id"] for p in listed(plans, "?lo_id=c3")] == [four["c3"]]


def test_archived_plans_are_listed_only_when_asked_after_the_active_ones(plans: Plans, four: dict[str, str]) -> None:
    new_c1 = plans.assigned("u1", {"status": 1, "version": 2, "due_date": in_days(9), "notify": False})

    assert four["c1"] not in [p["id"] for p in listed(plans)]
    everything = listed(plans, "?archived=true")
    assert [p["id"] for p in everything] == [four["c4"], four["c3"], new_c1, four["c2"], four["c1"]]
    assert everything[-1]["archived"] is True
    assert [p["id"] for p in listed(plans, "?archived=true&lo_id=c1")] == [new_c1, four["c1"]]


def test_a_due_date_change_moves_the_plan_in_the_list(plans: Plans, four: dict[str, str]) -> None:
    answer = plans.api.patch(
        f"/enrolment/plan/{four['c2']}", {"due_date": in_days(-5), "notify": False}, token=plans.staff
    )
    assert answer.status == 204

    assert [p["lo_id"] for p in listed(plans)] == ["c2", "c4", "c3", "c1"]


def test_pages_follow_the_cursor_through_active_then_archived_plans(plans: Plans, four: dict[str, str]) -> None:
    plans.api.delete(f"/enrolment/plan/{four['c3']}", token=plans.staff)
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        answer = plans.api.get(f"/enrolment/plan/{PORTAL}/user/u1?archived=true&limit=2{cursor}", token=plans.staff)
        assert answer.status == 200, answer.body
        assert len(answer.json()["data"]) <= 2
        seen += [p["id"] for p in answer.json()["data"]]
        if answer.json()["cursor"] is None:
            break
        cursor = f"&cursor={answer.json()['cursor']}"

    assert seen == [four["c4"], four["c1"], four["c2"], four["c3"]]


def test_a_page_is_one_query_after_the_portal_and_user_are_read(plans: Plans, four: dict[str, str]) -> None:
    with dynamodb_calls.recorded() as calls:
        listed(plans, "?limit=2")

    assert calls.operations() == {"BatchGetItem": 1, "Query": 1}


@pytest.mark.parametrize("query", ["?limit=0", "?limit=201", "?cursor=not-a-cursor", "?overdue=perhaps"])
def test_bad_paging_is_400(plans: Plans, four: dict[str, str], query: str) -> None:
    answer = plans.api.get(f"/enrolment/plan/{PORTAL}/user/u1{query}", token=plans.staff)

    assert answer.status == 400
    assert "message" in answer.json()


def test_a_cursor_of_another_users_list_is_400(plans: Plans, four: dict[str, str]) -> None:
    plans.assigned("u2")
    plans.given.learning_object("c5", "course", PORTAL)
    plans.assigned("u2", lo_id="c5")
    cursor = plans.api.get(f"/enrolment/plan/{PORTAL}/user/u2?limit=1", token=plans.staff).json()["cursor"]

    answer = plans.api.get(f"/enrolment/plan/{PORTAL}/user/u1?cursor={cursor}", token=plans.staff)

    assert answer.status == 400


def test_the_portal_may_be_named_and_the_user_may_be_self(plans: Plans, four: dict[str, str]) -> None:
    answer = plans.api.get(f"/enrolment/plan/{PORTAL_NAME}/user/self", token=learner_token("u1"))

    assert answer.status == 200
    assert len(answer.json()["data"]) == 4


@pytest.mark.parametrize(
    "token",
    [learner_token("u1"), learner_token("mgr"), admin_token(), tokens.staff()],
    ids=["the user", "their manager", "a portal admin", "staff"],
)
def test_the_user_their_manager_admins_and_staff_may_list(plans: Plans, four: dict[str, str], token: str) -> None:
    assert len(listed(plans, token=token)) == 4


@pytest.mark.parametrize(
    "token",
    [learner_token("u2"), learner_token("u3"), admin_token(portal_id=OTHER_PORTAL)],
    ids=["a learner with the same manager", "another learner", "an admin of another portal"],
)
def test_anyone_else_sees_nothing(plans: Plans, four: dict[str, str], token: str) -> None:
    answer = plans.api.get(f"/enrolment/plan/{PORTAL}/user/u1", token=token)

    assert answer.status == 403
    assert four["c1"] not in answer.body


def test_an_unknown_user_is_404_to_an_admin_and_403_to_an_outsider(plans: Plans) -> None:
    assert plans.api.get(f"/enrolment/plan/{PORTAL}/user/nobody", token=admin_token()).status == 404
    assert plans.api.get(f"/enrolment/plan/{PORTAL}/user/nobody", token=learner_token("u2")).status == 403


def test_a_plan_stored_before_the_lists_joins_them_when_its_due_date_changes(plans: Plans) -> None:
    from planhub.storage import Expression, Table
    from planhub.storage import keys as table_keys

    plan_id = plans.assigned("u1", {"status": 1, "notify": False})
    Table(plans.stack.table_name).update(  # as stored before: no list keys
        table_keys.plan(int(plan_id)), Expression("REMOVE GSI1PK, GSI1SK, GSI3PK, GSI3SK")
    )
    assert listed(plans) == []

    plans.assigned("u1", {"status": 1, "due_date": in_days(3), "notify": False})  # version 0 moves the date

    assert [p["id"] for p in listed(plans)] == [plan_id]
    assert [p["id"] for p in listed(plans, "?lo_id=c1")] == [plan_id]
