"""Concurrent assignments of the same LO to the same user end with one active plan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from planhub_local.stack import LocalStack
from tests.conftest import Published
from tests.plans.conftest import Plans, admin_token, learner_token

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
    body = {"status": 1, "version": 2, "due_date": "2031-01-01T00:00:00Z"}

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        answers = list(pool.map(lambda _: plans.assign("u1", body), range(CALLERS)))

    # Then all succeed, the first plan is archived and exactly one plan is active
    assert {a.status for a in answers} == {200}
    ids = {a.json()["id"] for a in answers}
    assert plans.plan(first)["archived"] is True
    active = [plan_id for plan_id in ids if not plans.plan(plan_id)["archived"]]
    assert len(active) == 1
    assert plans.assigned("u1", {"status": 1}) == active[0]


class InterloperFirst:
    """A table whose first transaction is preceded by someone else's request (a forced race)."""

    def __init__(self, table: Any, interloper: Callable[[], None]) -> None:
        self.table = table
        self.interloper: Callable[[], None] | None = interloper

    def transact(self, writes: Any) -> None:
        if self.interloper is not None:
            interloper, self.interloper = self.interloper, None
            interloper()
        self.table.transact(writes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)


@pytest.fixture
def race(stack: LocalStack) -> Iterator[Callable[[Callable[[], None]], None]]:
    """Makes the user route's next request lose a race: `interloper` runs (and commits) after
    that request read the table and before it writes."""
    service = stack.runtime.module("AssignPlanToUserFunction").plans
    original = service.table

    def arrange(interloper: Callable[[], None]) -> None:
        service.table = InterloperFirst(original, interloper)

    yield arrange
    service.table = original


def test_the_loser_of_a_race_to_assign_answers_the_winners_plan(
    plans: Plans, published: Published, race: Callable[[Callable[[], None]], None]
) -> None:
    winner: dict[str, str] = {}
    race(lambda: winner.update(id=plans.assigned("u1", {"status": 1}, token=admin_token())))

    answer = plans.assign("u1", {"status": 1, "due_date": "2031-01-01T00:00:00Z"}, token=learner_token("mgr"))

    assert answer.status == 200
    assert answer.json()["id"] == winner["id"]
    assert len(published.events("plan assigned")) == 1
    assert plans.plan(winner["id"])["due_date"] == "2031-01-01T00:00:00Z"


def test_a_reassignment_that_lost_the_race_to_another_keeps_the_new_plan(
    plans: Plans, published: Published, race: Callable[[Callable[[], None]], None]
) -> None:
    old = plans.assigned("u1", {"status": 1, "notify": False})
    body = {"status": 1, "version": 2, "due_date": "2031-01-01T00:00:00Z", "notify": False}
    winner: dict[str, str] = {}
    race(lambda: winner.update(id=plans.assigned("u1", body)))

    answer = plans.assign("u1", body)

    assert answer.json()["id"] == winner["id"]
    assert plans.plan(old)["archived"] is True
    assert plans.plan(winner["id"])["archived"] is False
    assert len(published.events("plan reassigned")) == 1
