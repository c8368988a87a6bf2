"""PATCH /enrolment/plan/{planId}: change or clear a due date; the reminders move with it."""

from __future__ import annotations

from typing import Any

import pytest

from planhub.storage import Expression, Table
from planhub.storage import keys as table_keys
from planhub_local import tokens
from planhub_local.stack import LocalStack
from tests.conftest import Published
from tests.plans.conftest import OTHER_PORTAL, Plans, admin_token, in_days, learner_token
from tests.plans.test_due_notices import U1, Schedule


@pytest.fixture
def schedule(stack: LocalStack, plans: Plans) -> Schedule:
    return Schedule(stack, plans)


def patch(plans: Plans, plan_id: str, body: dict[str, Any], token: str | None = None) -> int:
    answer = plans.api.patch(f"/enrolment/plan/{plan_id}", body, token=token or plans.staff)
    return answer.status


def test_a_due_date_is_changed(plans: Plans) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "due_date": in_days(5), "notify": False})

    assert patch(plans, plan_id, {"due_date": "2030-01-02T03:04:05Z", "notify": False}) == 204

    assert plans.plan(plan_id)["due_date"] == "2030-01-02T03:04:05Z"


def test_null_clears_the_due_date(plans: Plans, schedule: Schedule) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "due_date": in_days(10 / 24), "notify": False})

    assert patch(plans, plan_id, {"due_date": None, "notify": False}) == 204

    assert plans.plan(plan_id)["due_date"] is None
    schedule.run(hours_from_now=24 * 3)
    assert schedule.notices() == []


def test_the_user_gets_the_plan_due_date_changed_email(plans: Plans, published: Published) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})

    assert patch(plans, plan_id, {"due_date": "2030-01-02T03:04:05Z"}) == 204

    [email] = plans.emails(to=U1)
    assert email["subject"] == "New due date: course c1"
    assert "2 January 2030" in email["body"]
    [event] = published.events("plan due date changed")
    assert event["data"]["previous_due_date"] is None


def test_notify_false_sends_no_email(plans: Plans) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})

    assert patch(plans, plan_id, {"due_date": "2030-01-02T03:04:05Z", "notify": False}) == 204

    assert plans.emails(to=U1) == []


def test_the_same_due_date_again_changes_nothing(plans: Plans, published: Published) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "due_date": "2030-01-02T03:04:05Z", "notify": False})

    assert patch(plans, plan_id, {"due_date": "2030-01-02T03:04:05+00:00"}) == 204

    assert published.events("plan due date changed") == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"due_date": 1767225600},
        {"due_date": "soon"},
        {"due_date": None, "note": "x"},
        {"due_date": None, "notify": "maybe"},
    ],
)
def test_a_bad_body_is_400(plans: Plans, body: dict[str, Any]) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})

    assert patch(plans, plan_id, body) == 400


def test_an_archived_plan_is_409(plans: Plans) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})
    plans.api.delete(f"/enrolment/plan/{plan_id}", token=plans.staff)

    assert patch(plans, plan_id, {"due_date": None}) == 409


def test_a_group_assignment_or_unknown_plan_is_404(plans: Plans) -> None:
    plans.given.group("g1", ["u1"])
    group_plan = plans.assign_group("g1", {"status": 1, "notify": False}).json()["id"]

    assert patch(plans, group_plan, {"due_date": None}) == 404
    assert patch(plans, "12345", {"due_date": None}) == 404


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (learner_token("mgr"), 204),
        (admin_token(), 204),
        (tokens.staff(), 204),
        (learner_token("u1"), 403),  # assigned by someone else: not the learner's to move
        (learner_token("u2"), 403),
        (admin_token(portal_id=OTHER_PORTAL), 403),
    ],
    ids=["their manager", "a portal admin", "staff", "the user", "another learner", "an admin of another portal"],
)
def test_who_may_change_a_due_date(plans: Plans, token: str, status: int) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})

    assert patch(plans, plan_id, {"due_date": in_days(3), "notify": False}, token) == status


def test_a_user_may_move_a_plan_they_assigned_themselves(plans: Plans) -> None:
    plan_id = plans.assigned("self", {"status": 1, "notify": False}, token=learner_token("u1"))

    assert patch(plans, plan_id, {"due_date": in_days(3), "notify": False}, learner_token("u1")) == 204


# --- the reminders move with the due date --------------------------------------------------------


def test_a_plan_reminded_whose_date_moves_is_reminded_again_for_the_new_date(plans: Plans, schedule: Schedule) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "due_date": in_days(10 / 24)})
    schedule.run()

    patch(plans, plan_id, {"due_date": in_days(2 + 10 / 24), "notify": False})
    schedule.run()
    schedule.run(hours_from_now=48)
    schedule.run(hours_from_now=49)

    assert schedule.notices() == ["Reminder: course c1 is due soon", "Reminder: course c1 is due soon"]


def test_an_overdue_plan_whose_date_moves_hears_again_once_per_due_date(plans: Plans, schedule: Schedule) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "due_date": in_days(10 / 24)})
    schedule.run(hours_from_now=11)  # overdue
    schedule.run(hours_from_now=12)

    patch(plans, plan_id, {"due_date": in_days(1 + 10 / 24), "notify": False}, admin_token())
    schedule.run(hours_from_now=24)
    schedule.run(hours_from_now=24 + 11)
    schedule.run(hours_from_now=24 + 12)

    assert schedule.notices() == [
        "Overdue: course c1",
        "Reminder: course c1 is due soon",
        "Overdue: course c1",
    ]


def test_the_same_date_set_again_is_not_reminded_twice(plans: Plans, schedule: Schedule) -> None:
    due = in_days(10 / 24)
    plan_id = plans.assigned("u1", {"status": 1, "due_date": due})
    schedule.run()

    plans.assigned("u1", {"status": 1, "due_date": due})  # version 0 with the same date
    patch(plans, plan_id, {"due_date": due, "notify": False})
    schedule.run(hours_from_now=1)

    assert schedule.notices() == ["Reminder: course c1 is due soon"]


def test_a_plan_reminded_before_notices_recorded_their_date_hears_again_after_a_move(
    plans: Plans, schedule: Schedule
) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "due_date": in_days(10 / 24)})
    schedule.run()
    # As the notice run wrote it before: `reminded_at` alone.
    Table(plans.stack.table_name).update(table_keys.plan(int(plan_id)), Expression("REMOVE reminded_due"))
    schedule.run(hours_from_now=1)
    assert schedule.notices() == ["Reminder: course c1 is due soon"]

    patch(plans, plan_id, {"due_date": in_days(1 + 10 / 24), "notify": False})
    schedule.run(hours_from_now=24)

    assert schedule.notices() == ["Reminder: course c1 is due soon", "Reminder: course c1 is due soon"]
