"""The daily schedule: a reminder for plans due within 24 hours, an overdue notice for plans past due, once each."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from planhub_local.stack import LocalStack
from tests.conftest import Published
from tests.plans.conftest import Plans, in_days

SCHEDULE = "SendPlanNoticesFunction"
U1 = "u1@example.com"


def scheduled(hours_from_now: float = 0.0) -> dict[str, Any]:
    """The event EventBridge Scheduler hands the function, as if it fired `hours_from_now`."""
    fired = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours_from_now)
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": fired.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }


class Schedule:
    def __init__(self, stack: LocalStack, plans: Plans) -> None:
        self.stack = stack
        self.plans = plans

    def run(self, hours_from_now: float = 0.0) -> dict[str, Any]:
        answer: dict[str, Any] = self.stack.invoke(SCHEDULE, scheduled(hours_from_now))
        return answer

    def notices(self, to: str = U1) -> list[str]:
        """The subjects of the reminder and overdue emails sent to `to`."""
        subjects = [e["subject"] for e in self.plans.emails(to=to)]
        return [s for s in subjects if s.startswith(("Reminder:", "Overdue:"))]


@pytest.fixture
def schedule(stack: LocalStack, plans: Plans) -> Schedule:
    return Schedule(stack, plans)


def assign_due(plans: Plans, due: str, user_id: str = "u1", **fields: Any) -> str:
    return plans.assigned(user_id, {"status": 1, "due_date": due, **fields})


# --- reminders --------------------------------------------------------------------------------


def test_a_plan_due_within_24_hours_gets_a_reminder(plans: Plans, schedule: Schedule) -> None:
    assign_due(plans, in_days(10 / 24))

    schedule.run()

    assert schedule.notices() == ["Reminder: course c1 is due soon"]


def test_the_reminder_names_the_learning_object_and_the_due_date(plans: Plans, schedule: Schedule) -> None:
    due = (datetime.now(UTC) + timedelta(hours=5)).replace(second=0, microsecond=0)
    assign_due(plans, due.strftime("%Y-%m-%dT%H:%M:%SZ"))

    schedule.run()

    [reminder] = [e for e in plans.emails(to=U1) if e["subject"].startswith("Reminder:")]
    assert "course c1" in reminder["body"]
    assert f"{due.day} {due:%B %Y, %H:%M} UTC" in reminder["body"]


def test_the_reminder_is_sent_once_however_often_the_schedule_runs(plans: Plans, schedule: Schedule) -> None:
    assign_due(plans, in_days(10 / 24))

    schedule.run()
    schedule.run()
    schedule.run(hours_from_now=2)

    assert schedule.notices() == ["Reminder: course c1 is due soon"]


def test_a_plan_due_later_than_24_hours_gets_its_reminder_from_a_later_run(plans: Plans, schedule: Schedule) -> None:
    assign_due(plans, in_days(3))

    schedule.run()
    assert schedule.notices() == []

    schedule.run(hours_from_now=24 * 2 + 12)
    assert schedule.notices() == ["Reminder: course c1 is due soon"]


def test_a_plan_without_a_due_date_gets_no_notice(plans: Plans, schedule: Schedule) -> None:
    plans.assigned("u1", {"status": 1})

    schedule.run(hours_from_now=24 * 30)

    assert schedule.notices() == []


# --- overdue notices ----------------------------------------------------------------------------


def test_a_plan_past_due_gets_an_overdue_notice(plans: Plans, schedule: Schedule) -> None:
    assign_due(plans, in_days(10 / 24))
    schedule.run()

    schedule.run(hours_from_now=11)

    assert schedule.notices() == ["Reminder: course c1 is due soon", "Overdue: course c1"]


def test_the_overdue_notice_is_sent_once(plans: Plans, schedule: Schedule) -> None:
    assign_due(plans, in_days(10 / 24))

    schedule.run(hours_from_now=11)
    schedule.run(hours_from_now=12)
    schedule.run(hours_from_now=24 * 3)

    assert schedule.notices() == ["Overdue: course c1"]


def test_a_plan_assigned_already_overdue_gets_the_overdue_notice_and_no_reminder(
    plans: Plans, schedule: Schedule
) -> None:
    assign_due(plans, "2020-01-01T00:00:00Z")

    schedule.run()

    assert schedule.notices() == ["Overdue: course c1"]


def test_a_run_after_missed_days_catches_up(plans: Plans, schedule: Schedule) -> None:
    assign_due(plans, in_days(2))
    schedule.run()

    schedule.run(hours_from_now=24 * 5)  # the runs of the days in between never happened

    assert schedule.notices() == ["Overdue: course c1"]


# --- what changes the notices -----------------------------------------------------------------


def test_an_archived_plan_gets_no_notice(plans: Plans, schedule: Schedule) -> None:
    old = assign_due(plans, in_days(10 / 24), notify=False)
    assign_due(plans, in_days(10), version=2, notify=False)

    schedule.run(hours_from_now=11)

    assert plans.plan(old)["archived"] is True
    assert schedule.notices() == []


def test_a_due_date_moved_closer_is_reminded_on_time(plans: Plans, schedule: Schedule) -> None:
    assign_due(plans, in_days(5))
    plans.assigned("u1", {"status": 1, "due_date": in_days(10 / 24)})

    schedule.run()

    assert schedule.notices() == ["Reminder: course c1 is due soon"]


def test_a_due_date_moved_later_is_not_reported_overdue_at_the_old_date(plans: Plans, schedule: Schedule) -> None:
    assign_due(plans, in_days(10 / 24))
    plans.assigned("u1", {"status": 1, "due_date": in_days(5)})

    schedule.run(hours_from_now=11)

    assert schedule.notices() == []


def test_notify_false_records_the_notices_without_email(plans: Plans, schedule: Schedule, published: Published) -> None:
    assign_due(plans, in_days(10 / 24), notify=False)

    schedule.run()
    schedule.run(hours_from_now=11)

    assert len(published.events("plan due soon")) == 1
    assert len(published.events("plan overdue")) == 1
    assert schedule.notices() == []


def test_concurrent_runs_send_each_notice_once(plans: Plans, schedule: Schedule) -> None:
    for user in ("u1", "u2", "u3"):
        assign_due(plans, in_days(10 / 24), user_id=user)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: schedule.run(), range(4)))

    for user in ("u1", "u2", "u3"):
        assert schedule.notices(to=f"{user}@example.com") == ["Reminder: course c1 is due soon"]


def test_the_run_reports_what_it_sent(plans: Plans, schedule: Schedule) -> None:
    assign_due(plans, in_days(10 / 24), user_id="u1")
    assign_due(plans, "2020-01-01T00:00:00Z", user_id="u2")

    answer = schedule.run()

    assert answer == {"reminders": 1, "overdue": 1, "complete": True}
