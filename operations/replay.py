"""`make replay`: send dead-lettered events back to the bus.

AsyncFailureQueue holds three kinds of message: Lambda's on-failure destination records
of asynchronous invocations (the original EventBridge event under `requestPayload`),
EventBridge's and SQS's dead letters (the event itself), and the stream publisher's
on-failure records (`DDBStreamBatchInfo`: stream positions and arrival times, no events).
The first two are put back on the bus as they were — same source, detail-type and detail,
so its domain event id is unchanged and consumers that already did the work skip it. For a
stream batch, the events are the outbox items that occurred in the batch's time window
(the outbox keeps them 7 days, indexed by time: `planhub.storage.keys.outbox_time_index`),
a few minutes' margin included: every one of them is published again, which consumers,
idempotent by event id, take as the redelivery it is. A message is deleted from the queue
once the bus has accepted its events. Anything else stays.

    python -m operations.replay --queue-url https://sqs.../AsyncFailureQueue --bus-name planhub-bus \
        --table-name planhub-Table-... [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

LAYER = Path(__file__).resolve().parent.parent / "layers" / "planhub"
if str(LAYER) not in sys.path:
    sys.path.insert(0, str(LAYER))

from planhub.events import DomainEvent  # noqa: E402
from planhub.storage import keys  # noqa: E402
from planhub.storage.bus import EventBus, PublishFailed  # noqa: E402
from planhub.storage.table import Table  # noqa: E402

# An event occurs (its `occurred_at`) before its transaction commits and its record reaches
# the stream: the window starts this much before the batch's first arrival.
OUTBOX_MARGIN = timedelta(minutes=5)


@dataclass
class Replayed:
    replayed: list[str] = field(default_factory=list)  # domain event ids
    kept: list[str] = field(default_factory=list)  # message ids left in the queue, and why


def original_event(body: str) -> dict[str, Any] | None:
    """The EventBridge event a dead-letter message carries, or None if it carries none."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    event = message.get("requestPayload", message)
    if isinstance(event, dict) and {"source", "detail-type", "detail"} <= event.keys():
        return event
    return None


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _iso(instant: datetime) -> str:
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stream_batch_events(table: Table, info: dict[str, Any]) -> Iterator[DomainEvent]:
    """The outbox events that occurred in a dead-lettered stream batch's window."""
    start = _instant(info["approximateArrivalOfFirstRecord"]) - OUTBOX_MARGIN
    end = _instant(info["approximateArrivalOfLastRecord"]) + timedelta(seconds=1)
    low, high = _iso(start), _iso(end) + "~"
    minute = start.replace(second=0, microsecond=0)
    while minute <= end:
        for shard in range(keys.OUTBOX_SHARDS):
            partition = keys.outbox_time_index(_iso(minute)[:16], shard)
            for item in table.query_all(partition, index="GSI2", sk_between=(low, high)):
                yield DomainEvent.from_outbox_item(item)
        minute += timedelta(minutes=1)


def _replay_stream_batch(
    message: dict[str, Any],
    info: dict[str, Any],
    table: Table | None,
    bus: EventBus,
    result: Replayed,
    *,
    dry_run: bool,
) -> bool:
    """Publishes a stream batch's events again; answers whether the message may be deleted."""
    if table is None:
        result.kept.append(f"{message['MessageId']}: a stream batch; give --table-name to replay it")
        return False
    found = sorted(stream_batch_events(table, info), key=lambda e: (e.occurred_at, e.id))
    if not dry_run:
        try:
            bus.publish(found)
        except PublishFailed as refused:
            result.kept.append(f"{message['MessageId']}: the bus refused {refused}")
            return False
    result.replayed.extend(event.id for event in found)
    return not dry_run


def stream_batch_info(body: str) -> dict[str, Any] | None:
    """The stream positions of a stream event source's on-failure record, or None."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    info = message.get("DDBStreamBatchInfo") if isinstance(message, dict) else None
    return info if isinstance(info, dict) else None


def replay(
    sqs: Any,
    events: Any,
    queue_url: str,
    bus_name: str,
    *,
    dry_run: bool = False,
    dynamodb: Any = None,
    table_name: str | None = None,
) -> Replayed:
    result = Replayed()
    table = Table(table_name, dynamodb) if table_name else None
    bus = EventBus(bus_name, events)
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=60
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            return result
        for message in fresh:
            seen.add(message["MessageId"])
            info = stream_batch_info(message["Body"])
            if info is not None:
                if _replay_stream_batch(message, info, table, bus, result, dry_run=dry_run):
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                continue
            event = original_event(message["Body"])
            if event is None:
                result.kept.append(f"{message['MessageId']}: no EventBridge event in it")
                continue
            event_id = str((event.get("detail") or {}).get("id", event.get("id", "")))
            if dry_run:
                result.replayed.append(event_id)
                continue
            entry = {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": list(event.get("resources") or []),
                "EventBusName": bus_name,
            }
            answer = events.put_events(Entries=[entry])
            if answer.get("FailedEntryCount"):
                result.kept.append(f"{message['MessageId']}: the bus refused it {answer['Entries'][0]}")
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            result.replayed.append(event_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m operations.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue-url", required=True, help="AsyncFailureQueueUrl (a stack output)")
    parser.add_argument("--bus-name", required=True, help="EventBusName (a stack output)")
    parser.add_argument("--table-name", default=None, help="TableName (a stack output): for stream batches")
    parser.add_argument("--region", default=None)
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed; change nothing")
    args = parser.parse_args(argv)
    sqs = boto3.client("sqs", region_name=args.region)
    events = boto3.client("events", region_name=args.region)
    dynamodb = boto3.client("dynamodb", region_name=args.region)
    result = replay(
        sqs, events, args.queue_url, args.bus_name, dry_run=args.dry_run, dynamodb=dynamodb, table_name=args.table_name
    )
    print(f"replayed {len(result.replayed)} events; kept {len(result.kept)} messages")
    for line in result.kept:
        print("  kept " + line)
    return 1 if result.kept else 0


if __name__ == "__main__":
    sys.exit(main())
