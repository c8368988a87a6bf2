"""The seed's summary: new plan, self-directed enrolment, already assigned (version 0), re-assignment (version 2)."""

from __future__ import annotations

import pytest

from tests.conftest import Published
from tests.plans.conftest import Plans, in_days

# --- 1. neither assigned nor enrolled ------------------------------------------------------


def test_a_user_without_plan_or_enrolment_gets_a_new_plan(plans: Plans, published: Published) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})

    [assigned] = published.events("plan assigned")
    assert assigned["data"]["plan"]["id"] == plan_id
    assert plans.plan(plan_id)["enrolment_id"] is None


# --- 2. enrolled, not assigned ---------------------------------------------------------------


def test_a_self_directed_enrolment_is_linked_to_the_new_plan(plans: Plans) -> None:
    enrolment_id = plans.enrol("u1", status="in-progress")

    plan_id = plans.assigned("u1", {"status": 1, "notify": False})

    assert plans.plan(plan_id)["enrolment_id"] == enrolment_id


def test_the_linked_enrolment_is_not_changed(plans: Plans) -> None:
    enrolment_id = plans.enrol("u1", status="in-progress")
    before = plans.enrolment(enrolment_id)

    plans.assigned("u1", {"status": 1, "due_date": in_days(5), "notify": False})

    assert plans.enrolment(enrolment_id) == before


# --- 3. already assigned, version 0 -----------------------------------------------------------


def test_an_existing_assignment_answers_the_existing_plan_id(plans: Plans) -> None:
    first = plans.assigned("u1", {"status": 1, "notify": False})

    again = plans.assign("u1", {"status": 1, "version": 0}, token=plans.staff)

    assert again.status == 200
    assert again.json() == {"id": first}


def test_an_existing_assignment_gets_the_given_due_date(plans: Plans) -> None:
    first = plans.assigned("u1", {"status": 1, "due_date": in_days(5), "notify": False})
    later = in_days(20)

    plans.assigned("u1", {"status": 1, "due_date": later})

    assert plans.plan(first)["due_date"] == later


def test_an_existing_assignment_keeps_its_due_date_when_none_is_given(plans: Plans) -> None:
    due = in_days(5)
    first = plans.assigned("u1", {"status": 1, "due_date": due, "notify": False})

    plans.assigned("u1", {"status": 1})

    assert plans.plan(first)["due_date"] == due


def test_an_existing_assignment_creates_no_second_plan_event(plans: Plans, published: Published) -> None:
    plans.assigned("u1", {"status": 1, "notify": False})

    plans.assigned("u1", {"status": 1, "due_date": in_days(9)})

    assert len(published.events("plan assigned")) == 1
    assert len(published.events("plan due date changed")) == 1


def test_plans_of_different_learning_objects_are_separate(plans: Plans) -> None:
    plans.given.learning_object("c2", "course", "p-acme")

    first = plans.assigned("u1", {"status": 1, "notify": False})
    second = plans.assigned("u1", {"status": 1, "notify": False}, lo_id="c2")

    assert first != second


# --- 4. already assigned, version 2: re-assignment -------------------------------------------


def reassign(plans: Plans, user_id: str = "u1") -> str:
    return plans.assigned(user_id, {"status": 1, "version": 2, "due_date": in_days(30), "notify": False})


def test_reassignment_creates_a_new_plan(plans: Plans) -> None:
    old = plans.assigned("u1", {"status": 1, "notify": False})

    new = reassign(plans)

    assert new != old
    assert plans.plan(new)["archived"] is False


def test_reassignment_archives_the_old_plan_and_keeps_it_readable(plans: Plans) -> None:
    old = plans.assigned("u1", {"status": 1, "notify": False})

    reassign(plans)

    archived = plans.plan(old)
    assert archived["archived"] is True
    assert archived["archived_by"] == "staff-1"
    assert archived["archived_at"] is not None


def test_after_reassignment_version_0_answers_the_new_plan(plans: Plans) -> None:
    plans.assigned("u1", {"status": 1, "notify": False})
    new = reassign(plans)

    again = plans.assigned("u1", {"status": 1})

    assert again == new


@pytest.mark.parametrize("status", ["in-progress", "completed"])
def test_reassignment_archives_a_begun_enrolment(plans: Plans, status: str) -> None:
    enrolment_id = plans.enrol("u1", status=status)
    plans.assigned("u1", {"status": 1, "notify": False})

    new = reassign(plans)

    enrolment = plans.enrolment(enrolment_id)
    assert enrolment["archived"] is True
    assert enrolment["archived_by"] == "staff-1"
    assert enrolment["status"] == status
    assert plans.plan(new)["enrolment_id"] is None


def test_after_reassignment_the_user_may_enrol_afresh(plans: Plans) -> None:
    old_enrolment = plans.enrol("u1", status="in-progress")
    plans.assigned("u1", {"status": 1, "notify": False})
    new_plan = reassign(plans)

    new_enrolment = plans.enrol("u1", status="in-progress")

    assert new_enrolment != old_enrolment
    assert plans.plan(new_plan)["enrolment_id"] == new_enrolment


def test_reassignment_keeps_a_not_started_enrolment_and_links_it(plans: Plans) -> None:
    enrolment_id = plans.enrol("u1", status="not-started")
    plans.assigned("u1", {"status": 1, "notify": False})

    new = reassign(plans)

    assert plans.enrolment(enrolment_id)["archived"] is False
    assert plans.plan(new)["enrolment_id"] == enrolment_id


def test_version_2_without_an_existing_plan_is_a_new_assignment(plans: Plans, published: Published) -> None:
    enrolment_id = plans.enrol("u1", status="in-progress")

    plan_id = reassign(plans)

    assert plans.plan(plan_id)["enrolment_id"] == enrolment_id
    assert plans.enrolment(enrolment_id)["archived"] is False
    assert [e["type"] for e in published.events() if e["type"].startswith("plan")] == ["plan assigned"]


def test_reassignment_publishes_one_reassigned_event_naming_what_it_archived(
    plans: Plans, published: Published
) -> None:
    enrolment_id = plans.enrol("u1", status="in-progress")
    old = plans.assigned("u1", {"status": 1, "notify": False})

    new = reassign(plans)

    [event] = published.events("plan reassigned")
    assert event["data"]["plan"]["id"] == new
    assert event["data"]["archived_plan_id"] == old
    assert event["data"]["archived_enrolment_id"] == enrolment_id
