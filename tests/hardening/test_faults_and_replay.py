"""Faults at each hop of an event (EventBridge, SES), Lambda's retries, the dead-letter queue,
and `python -m operations.replay`: nothing lost, nothing done twice."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from operations.replay import replay
from planhub.storage.bus import EventBus, PublishFailed
from planhub.storage.mail import Mailer
from planhub_local.stack import LocalStack
from tests.conftest import Api, Catalog


def _throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


def failing(real: Callable[..., Any], times: int | None, operation: str) -> Callable[..., Any]:
    """`real`, but throttled for its first `times` calls (None: always)."""
    calls = itertools.count()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if times is None or next(calls) < times:
            raise _throttled(operation)
        return real(*args, **kwargs)

    return wrapper


@pytest.fixture
def assigned(api: Api, given: Catalog, staff_token: str) -> Callable[[], None]:
    """When: staff assigns course c1 to u1 (a 'plan assigned' email is wanted)."""
    given.portal()
    given.learning_object("c1", "course")
    given.user("u1")

    def assign() -> None:
        answer = api.post("/enrolment/plan/p-acme/c1/user/u1", {"status": 1}, token=staff_token)
        assert answer.status == 200, answer.body

    return assign


def emails_to(stack: LocalStack, address: str) -> int:
    return sum(1 for email in stack.sent_emails() if address in email["to"])


def test_ses_throttling_within_the_retries_sends_the_email_once(
    stack: LocalStack, assigned: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SES throttles the first two attempts (Lambda retries an async invocation twice)
    monkeypatch.setattr(Mailer, "send", failing(Mailer.send, 2, "SendEmail"))

    assigned()
    stack.drain()

    assert emails_to(stack, "u1@example.com") == 1
    assert stack.failures == []


def test_a_bus_refusal_at_publishing_loses_no_event_and_doubles_no_email(
    stack: LocalStack, assigned: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given EventBridge refuses the stream publisher's first PutEvents entry (FailedEntryCount, throttled)
    real_publish = EventBus.publish
    refusals = itertools.count()

    def refuse_once(bus: EventBus, events: Any) -> None:
        if next(refusals) == 0:
            raise PublishFailed(0, "ThrottlingException")
        real_publish(bus, events)

    monkeypatch.setattr(EventBus, "publish", refuse_once)

    assigned()
    stack.drain()

    # Then the stream batch is retried: the event arrives and its email goes out once
    assert emails_to(stack, "u1@example.com") == 1
    assert stack.failures == []


def test_a_consumer_failing_past_its_retries_is_dead_lettered_with_its_event(
    stack: LocalStack, assigned: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Mailer, "send", failing(Mailer.send, None, "SendEmail"))

    assigned()
    stack.drain()

    # Then no email, and the DLQ record carries the original event for replay (the email
    # queue's dead letter is the event itself; a Lambda destination's has it as requestPayload)
    assert emails_to(stack, "u1@example.com") == 0
    assert len(stack.failures) == 1
    payload = stack.failures[0].get("requestPayload", stack.failures[0])
    assert payload["detail-type"] == "plan assigned"
    assert payload["detail"]["data"]


def test_replay_sends_dead_letters_back_once_and_empties_the_queue(
    stack: LocalStack, assigned: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an email dead-lettered while SES was down
    with monkeypatch.context() as outage:
        outage.setattr(Mailer, "send", failing(Mailer.send, None, "SendEmail"))
        assigned()
        stack.drain()
    assert emails_to(stack, "u1@example.com") == 0

    # When SES is back and the dead letters are replayed, twice
    first = replay(stack.sqs, stack.events, stack.failure_queue_url, stack.bus_name)
    stack.drain()
    second = replay(stack.sqs, stack.events, stack.failure_queue_url, stack.bus_name)
    stack.drain()

    # Then the email goes out once and the queue is empty
    assert len(first.replayed) == 1 and first.kept == []
    assert second.replayed == []
    assert emails_to(stack, "u1@example.com") == 1
    left = stack.sqs.receive_message(QueueUrl=stack.failure_queue_url, MaxNumberOfMessages=10).get("Messages", [])
    assert left == []


def test_replaying_an_event_already_handled_does_not_do_it_again(
    stack: LocalStack, assigned: Callable[[], None]
) -> None:
    # Given an email already sent, and its event put back in the DLQ by hand (a duplicate)
    assigned()
    stack.drain()
    sent_event = next(d.event for d in stack.delivered if d.function == "SendEmailFunction")
    stack.sqs.send_message(QueueUrl=stack.failure_queue_url, MessageBody=json.dumps({"requestPayload": sent_event}))

    replay(stack.sqs, stack.events, stack.failure_queue_url, stack.bus_name)
    stack.drain()

    # Then the consumer recognises the event id: still one email
    assert emails_to(stack, "u1@example.com") == 1
