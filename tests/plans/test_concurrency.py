"""Concurrent assignments of the same LO to the same user end with one active plan."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.plans.conftest import Plans, Published, admin_token, learner_token

CALLERS = 8


def test_concurrent_assignments_of_the_same_lo_to_a_user_end_with_one_plan(plans: Plans, published: Published) -> None:
    # Given u1's manager and a portal admin, each assigning c1 to u1 several times at once
    callers = [learner_token("mgr") if i % 2 else admin_token() for i in range(CALLERS)]

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        answers = list(pool.map(lambda token: plans.assign("u1", {"status": 1}, token=token), callers))

    # Then every caller is answered the same plan, and only one plan was ever created
    assert [a.status for a in answers] == [200] * CALLERS
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(published.events("plan assigned")) == 1
    assert len(plans.emails(to="u1@example.com")) == 1


def test_concurrent_reassignments_leave_exactly_one_active_plan(plans: Plans) -> None:
    # Given an existing plan, re-assigned by several callers at once
    first = plans.assigned("u1", {"status": 1, "notify": False})
    body = {"status": 1, "version": 2, "due_date": "2031-01-01T00:00:00Z", "notify": False}

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: plans.assign("u1", body), range(4)))

    # Then each re-assignment archived its predecessor: one plan is active, the latest
    assert {a.status for a in answers} == {200}
    ids = [a.json()["id"] for a in answers]
    active = [plan_id for plan_id in [first, *ids] if not plans.plan(plan_id)["archived"]]
    assert len(active) == 1
    assert plans.assigned("u1", {"status": 1}) == active[0]
