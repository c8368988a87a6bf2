"""AWS's limits, met locally before AWS meets them (issue 16; docs/decisions/production-limits.md):
PutEvents' 256 KB, bounded lists in events, and the stream trigger's retry, bisect and
on-failure settings, with `make replay` resending a dead-lettered stream batch."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from operations.replay import replay
from planhub.events import (
    EVENT_LIST_LIMIT,
    PUT_EVENTS_MAX_BYTES,
    PUT_EVENTS_MAX_ENTRIES,
    DomainEvent,
    EventTooLarge,
    entry_size,
    record,
)
from planhub.storage.bus import EventBus, requests
from planhub_local.stack import LocalStack
from planhub_local.template import Template
from tests.conftest import Catalog, Published


def _event(size: int) -> DomainEvent:
    return DomainEvent.of("portal saved", {"padding": "x" * size})


def test_the_local_bus_refuses_a_put_events_request_over_256_kb_as_eventbridge_does(stack: LocalStack) -> None:
    entries = [
        {"Source": "planhub", "DetailType": "portal saved", "Detail": json.dumps({"x": "y" * 140_000})},
        {"Source": "planhub", "DetailType": "portal saved", "Detail": json.dumps({"x": "z" * 140_000})},
    ]

    with pytest.raises(ClientError) as refused:
        stack.events.put_events(Entries=[{**e, "EventBusName": stack.bus_name} for e in entries])

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "over the limit" in refused.value.response["Error"]["Message"]
    # One of them alone fits.
    answer = stack.events.put_events(Entries=[{**entries[0], "EventBusName": stack.bus_name}])
    assert answer["FailedEntryCount"] == 0


def test_put_events_requests_are_split_by_size_as_well_as_by_count() -> None:
    events = [_event(60_000) for _ in range(9)] + [_event(10) for _ in range(25)]

    batches = list(requests(events, "bus"))

    assert [e["Detail"] for _, batch in batches for e in batch] == [e.detail_json() for e in events]
    for first, batch in batches:
        assert len(batch) <= PUT_EVENTS_MAX_ENTRIES
        assert sum(entry_size(e["Source"], e["DetailType"], e["Detail"]) for e in batch) <= PUT_EVENTS_MAX_BYTES
        assert batch[0]["Detail"] == events[first].detail_json()
    assert len(batches) > 4  # 60 KB events: four to a request


def test_large_events_in_one_stream_batch_all_reach_the_bus(stack: LocalStack, published: Published) -> None:
    # Given nine 60 KB events written at once (one stream batch, 540 KB in all)
    from planhub.storage.table import Table

    table = Table(stack.table_name)
    table.transact([record(_event(60_000)) for _ in range(9)])

    # Then the publisher puts them all on the bus, in requests EventBridge accepts
    assert len(published.events("portal saved")) == 9
    assert stack.stream_failures == 0 and stack.failures == []


def test_an_event_that_would_not_fit_one_entry_is_refused_before_it_is_written() -> None:
    with pytest.raises(EventTooLarge):
        record(_event(PUT_EVENTS_MAX_BYTES))


def test_a_course_with_2100_children_saves_and_its_event_carries_a_bounded_list(
    stack: LocalStack, given: Catalog, published: Published
) -> None:
    # Given a course whose children's ids alone exceed 256 KB in an event
    given.portal()
    children = [f"{n:04d}-" + "c" * 123 for n in range(2100)]
    assessors = [f"a{n}" for n in range(150)]

    saved = given.learning_object("big", "course", children=children, assessors=assessors)

    # Then the course keeps every child, and its event the first ones and the count
    assert len(saved["children"]) == 2100
    (event,) = published.events("learning object saved")
    assert event["data"]["children"] == children[:EVENT_LIST_LIMIT]
    assert event["data"]["children_count"] == 2100
    assert event["data"]["assessors"] == assessors[:EVENT_LIST_LIMIT]
    assert event["data"]["assessors_count"] == 150
    assert stack.stream_failures == 0 and stack.failures == []


def test_the_local_stream_trigger_takes_its_settings_from_the_template() -> None:
    (subscription,) = Template().stream_subscriptions()

    assert subscription.function == "StreamPublisherFunction"
    assert subscription.bisect_on_error is True
    assert 0 < subscription.max_retries <= 100
    assert 0 < subscription.max_record_age_seconds < 24 * 3600  # inside the stream's retention
    assert subscription.on_failure == "AsyncFailureQueue"


def test_a_poisoned_stream_record_is_isolated_dead_lettered_and_replayed_from_the_outbox(
    stack: LocalStack, given: Catalog, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given EventBridge refuses, on every attempt, any request holding p-bad's event
    publish = EventBus.publish

    def refuse_p_bad(bus: EventBus, events: Any) -> None:
        if any(e.data.get("id") == "p-bad" for e in events):
            raise TimeoutError("EventBridge did not answer")
        publish(bus, events)

    with monkeypatch.context() as outage:
        outage.setattr(EventBus, "publish", refuse_p_bad)
        given.portal("p-good", "good.example.com")
        given.portal("p-bad", "bad.example.com")
        given.portal("p-after", "after.example.com")
        stack.drain()

    # Then the batch was split around p-bad's record: the events beside and behind it went out
    ids = sorted(e["data"]["id"] for e in published.events("portal saved"))
    assert ids == ["p-after", "p-good"]
    # and p-bad's record went to the failure queue as stream positions, after the retries
    (failure,) = stack.failures
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == Template().stream_subscriptions()[0].max_retries + 1

    # When EventBridge is back and the failure queue is replayed (with the table to read)
    result = replay(
        stack.sqs,
        stack.events,
        stack.failure_queue_url,
        stack.bus_name,
        dynamodb=stack.dynamodb,
        table_name=stack.table_name,
    )

    # Then p-bad's event is on the bus (with the window's others, which consumers skip by id)
    assert result.kept == []
    events = published.events("portal saved")
    assert "p-bad" in {e["data"]["id"] for e in events}
    assert stack.sqs.receive_message(QueueUrl=stack.failure_queue_url).get("Messages", []) == []


def test_replay_keeps_a_stream_batch_when_it_cannot_read_the_outbox(stack: LocalStack) -> None:
    body = {"DDBStreamBatchInfo": {"approximateArrivalOfFirstRecord": "2026-01-01T00:00:00Z"}}
    stack.sqs.send_message(QueueUrl=stack.failure_queue_url, MessageBody=json.dumps(body))

    result = replay(stack.sqs, stack.events, stack.failure_queue_url, stack.bus_name)

    assert result.replayed == [] and len(result.kept) == 1


def test_the_authorizer_counts_each_401_refusal_so_its_alarm_can_tell_refusals_from_failures(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from planhub_local.gateway import Gateway

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    # Locally the shared Metrics may have been built outside any function's environment: give it
    # the namespace and service the template sets on AWS.
    from planhub.observability import metrics

    monkeypatch.setattr(metrics, "namespace", "planhub")
    monkeypatch.setattr(metrics, "service", "planhub")
    # Metrics disabled (as in the other tests) are never flushed, so earlier refusals may still be held.
    metrics.clear_metrics()
    capsys.readouterr()

    answer = Gateway(stack).handle("GET", "/admin/portals/p-acme", {"Authorization": "Bearer not-a-token"})

    assert answer.status == 401
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    refusals = [m for m in emitted if "TokensRefused" in m]
    assert refusals, emitted
    assert refusals[0]["TokensRefused"] in (1, 1.0, [1.0])
    assert refusals[0]["service"] == "planhub"


# --- email bursts: a queue, bounded senders, paced under SES's send rate -----------------------


def test_emails_wait_in_a_queue_that_at_most_email_senders_containers_drain() -> None:
    template = Template()
    (subscription,) = [s for s in template.queue_subscriptions() if s.function == "SendEmailFunction"]
    function = template.functions()["SendEmailFunction"]

    assert subscription.queue == "EmailQueue"
    assert subscription.max_concurrency == int(function.environment["EMAIL_SENDERS"])
    assert function.environment["EMAIL_MAX_SEND_RATE"] == template.parameters["EmailMaxSendRate"]
    assert subscription.dead_letter_queue == "AsyncFailureQueue" and subscription.max_receive_count
    (rule,) = [r for r in template.rules() if r.queue == "EmailQueue"]
    assert rule.pattern["detail"] == {"data": {"notify": [True]}}


def test_the_local_ses_throttles_sends_above_the_send_rate_as_ses_does(stack: LocalStack) -> None:
    import boto3
    from botocore.config import Config

    from planhub_local import moto_patches

    ses = boto3.client("ses", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))
    # The stack throttles at the template's EmailMaxSendRate; a sandbox's 1 a second shows it quickly.
    assert moto_patches.ses_send_rate.per_second == float(Template().parameters["EmailMaxSendRate"])
    moto_patches.ses_send_rate.configure(1.0)
    message = {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}

    with pytest.raises(ClientError) as throttled:
        for _ in range(10):  # far more than a second's worth, at once
            ses.send_email(
                Source="no-reply@planhub.example.com", Destination={"ToAddresses": ["a@example.com"]}, Message=message
            )

    assert throttled.value.response["Error"]["Code"] == "Throttling"
    assert throttled.value.response["Error"]["Message"] == "Maximum sending rate exceeded."
    # A second later (on SES's clock), sending works again
    moto_patches.ses_clock.sleep(1.0)
    ses.send_email(
        Source="no-reply@planhub.example.com", Destination={"ToAddresses": ["a@example.com"]}, Message=message
    )


def test_a_group_assigned_with_notify_is_emailed_once_each_under_the_send_rate(
    stack: LocalStack, given: Catalog
) -> None:
    from moto.dynamodb.models import dynamodb_backends

    from planhub_local import moto_patches, tokens
    from planhub_local.client import Api
    from planhub_local.gateway import Gateway
    from planhub_local.template import ACCOUNT, REGION

    # Given a group of 60 members (four seconds' worth of SES's 14 a second)
    given.portal()
    given.learning_object("c1", "course")
    members = [f"m{n:02d}" for n in range(60)]
    for member in members:
        given.user(member)
    given.group("everyone", members)
    stack.drain()
    started = moto_patches.ses_clock.monotonic()

    # When an admin assigns the course to the group, asking for emails
    admin = tokens.token("admin-1", roles={"p-acme": ["admin"]})
    answer = Api(Gateway(stack)).post(
        "/enrolment/plan/p-acme/c1/group/everyone", {"status": 1, "notify": True}, token=admin
    )
    assert answer.status == 200, answer.body
    stack.drain()

    # Then every member gets one email, SES never throttled, nothing is dead-lettered
    sent = sorted(address for email in stack.sent_emails() for address in email["to"])
    assert sent == sorted(f"{m}@example.com" for m in members)
    assert moto_patches.ses_send_rate.throttled == 0
    assert stack.failures == []
    # and sending took at least 60 / 14 seconds on SES's clock
    assert moto_patches.ses_clock.monotonic() - started >= 60 / float(Template().parameters["EmailMaxSendRate"]) - 1
    # and each exactly-once record is a partition of its own (no hot key)
    table = dynamodb_backends[ACCOUNT][REGION].get_table(stack.table_name)
    records = [pk for pk in table.items if str(getattr(pk, "value", pk)).startswith("IDEMPOTENCY#send-email#")]
    assert len(records) == 60


# --- API keys: where the template says ApiKeyRequired, API Gateway wants a key it knows ----------


def test_a_route_that_requires_an_api_key_refuses_one_the_usage_plan_does_not_know(
    stack: LocalStack, given: Catalog
) -> None:
    from planhub_local import tokens
    from planhub_local.client import Api
    from planhub_local.gateway import Gateway

    required = {(r.method, r.path) for r in Template().routes() if r.api_key_required}
    assert ("POST", "/plans") in required
    api = Api(Gateway(stack))
    token = tokens.token("admin-1", company={"id": "acme-co", "admin": True})
    key = "acme-co-key-0123456789abcdef"

    # Before the company's key is registered, API Gateway itself refuses it
    refused = api.post("/plans", {}, token=token, headers={"X-Share-Api-Key": key})
    assert refused.status == 403
    assert refused.json() == {"message": "Invalid or missing X-Share-Api-Key for your company"}
    assert not stack.api_key_accepted(key)

    # Once staff set the company's keys (registered on the usage plan), the request reaches the handler
    given.company("acme-co", [key])
    assert stack.api_key_accepted(key)
    answered = api.post("/plans", {}, token=token, headers={"X-Share-Api-Key": key})
    assert answered.status == 400  # the handler's answer to an empty body
