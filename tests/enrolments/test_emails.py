"""The enrolment email: sent to the learner on create unless notify is false, once."""

from __future__ import annotations

from typing import Any

from planhub_local.stack import LocalStack
from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, Learning, admin_token, enrolment_path


def emails_to(stack: LocalStack, address: str) -> list[dict[str, Any]]:
    stack.drain()
    return [e for e in stack.sent_emails() if address in e["to"]]


def test_an_enrolment_emails_the_learner(stack: LocalStack, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    learning.enrol(token, "c1", body={"dueDate": "2017-08-03T09:30:38+0000"})

    [email] = emails_to(stack, "u1@example.com")
    assert email["subject"] == "You are enrolled: course c1"
    assert "3 August 2017, 09:30 UTC" in email["body"]


def test_no_email_is_sent_when_notify_is_false(stack: LocalStack, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    learning.enrol(token, "c1", body={"notify": False})

    assert emails_to(stack, "u1@example.com") == []


def test_an_active_enrolment_answered_again_sends_no_second_email(
    stack: LocalStack, api: Api, learning: Learning
) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    learning.enrol(token, "c1")

    api.post(enrolment_path("c1"), {}, token=token)

    assert len(emails_to(stack, "u1@example.com")) == 1


def test_a_student_enrolled_on_their_behalf_gets_the_email(stack: LocalStack, api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")

    api.post(f"/enrolment/{PORTAL}/0/c1/enrolment/student@example.com/in-progress", {}, token=admin_token())

    assert [e["subject"] for e in emails_to(stack, "student@example.com")] == ["You are enrolled: course c1"]
