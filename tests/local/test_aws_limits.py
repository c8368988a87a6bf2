"""AWS's limits, met locally before AWS meets them (issue 16; docs/decisions/production-limits.md):
PutEvents' 256 KB, bounded lists in events, and the stream trigger's retry, bisect and
on-failure settings, with `make replay` resending a dead-lettered stream batch."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hardening.replay import replay
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
    capsys.readouterr()

    answer = Gateway(stack).handle("GET", "/admin/portals/p-acme", {"Authorization": "Bearer not-a-token"})

    assert answer.status == 401
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    refusals = [m for m in emitted if "TokensRefused" in m]
    assert refusals, emitted
    assert refusals[0]["TokensRefused"] in (1, 1.0, [1.0])
    assert refusals[0]["service"] == "planhub"
