"""Assignment emails: sent through SES by the email function, only when notify is true, once per event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planhub_local.stack import LocalStack
from tests.conftest import Published
from tests.plans.conftest import Plans

U1 = "u1@example.com"


def test_a_new_assignment_emails_the_user(plans: Plans) -> None:
    plans.assigned("u1", {"status": 1})

    [email] = plans.emails(to=U1)
    assert email["subject"] == "New assignment: course c1"
    assert email["source"] == "no-reply@planhub.example.com"


def test_the_assignment_email_names_the_learning_object_the_due_date_and_the_note(plans: Plans) -> None:
    plans.assigned("u1", {"status": 1, "due_date": "2030-05-17T14:30:00Z", "data": {"note": "Before the audit"}})

    [email] = plans.emails(to=U1)
    assert "course c1" in email["body"]
    assert "17 May 2030, 14:30 UTC" in email["body"]
    assert "Before the audit" in email["body"]


def test_the_note_is_html_escaped_in_the_email(plans: Plans) -> None:
    note = '<script>alert("x")</script> & {{ recipient.email }}'

    plans.assigned("u1", {"status": 1, "data": {"note": note}})

    [email] = plans.emails(to=U1)
    assert "<script>" not in email["body"]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; {{ recipient.email }}" in email["body"]


def test_no_email_is_sent_when_notify_is_false(plans: Plans) -> None:
    plans.assigned("u1", {"status": 1, "notify": False})

    assert plans.emails(to=U1) == []


def test_a_self_directed_enrolment_being_linked_still_gets_the_new_assignment_email(plans: Plans) -> None:
    plans.enrol("u1", status="in-progress")

    plans.assigned("u1", {"status": 1})

    assert [e["subject"] for e in plans.emails(to=U1)] == ["New assignment: course c1"]


def test_an_existing_assignment_sends_no_second_email(plans: Plans) -> None:
    plans.assigned("u1", {"status": 1})

    plans.assigned("u1", {"status": 1, "due_date": "2030-01-01T00:00:00Z"})

    assert len(plans.emails(to=U1)) == 1


def test_a_reassignment_sends_the_reassignment_email(plans: Plans) -> None:
    plans.assigned("u1", {"status": 1, "notify": False})

    plans.assigned("u1", {"status": 1, "version": 2, "due_date": "2030-01-01T00:00:00Z"})

    [email] = plans.emails(to=U1)
    assert email["subject"] == "Re-assignment: course c1"
    assert "1 January 2030, 00:00 UTC" in email["body"]


def test_a_reassignment_that_archived_an_enrolment_says_so(plans: Plans) -> None:
    plans.enrol("u1", status="in-progress")
    plans.assigned("u1", {"status": 1, "notify": False})

    plans.assigned("u1", {"status": 1, "version": 2, "due_date": "2030-01-01T00:00:00Z"})

    [email] = plans.emails(to=U1)
    assert "earlier progress is archived" in email["body"]


def test_a_redelivered_event_sends_no_second_email(plans: Plans, published: Published, stack: LocalStack) -> None:
    plans.assigned("u1", {"status": 1})
    [event] = published.events("plan assigned")

    stack.invoke("SendEmailFunction", eventbridge(event))

    assert len(plans.emails(to=U1)) == 1


class FlakyMailer:
    """Refuses the first send (as SES might with a throttle), then passes sends on."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    def send(self, *args: Any) -> str:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("Throttling: Maximum sending rate exceeded.")
        return str(self.real.send(*args))


@pytest.fixture
def flaky_mailer(stack: LocalStack) -> Iterator[FlakyMailer]:
    # The email function's warm container (the drain invokes it one event at a time, in this container)
    notifications = stack.runtime.module("SendEmailFunction").notifications
    real = notifications.mailer
    notifications.mailer = FlakyMailer(real)
    yield notifications.mailer
    notifications.mailer = real


def test_an_email_whose_first_attempt_failed_is_sent_once_by_the_retry(
    plans: Plans, flaky_mailer: FlakyMailer, stack: LocalStack
) -> None:
    plans.assigned("u1", {"status": 1})

    emails = plans.emails(to=U1)

    assert flaky_mailer.calls == 2
    assert len(emails) == 1
    assert stack.failures == []


def eventbridge(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "9f1c2d3e-0000-4000-8000-000000000001",
        "detail-type": detail["type"],
        "source": "planhub",
        "account": "123456789012",
        "time": detail["occurred_at"],
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
