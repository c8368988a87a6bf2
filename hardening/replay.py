"""`make replay`: send dead-lettered events back to the bus.

AsyncFailureQueue holds two kinds of message: Lambda's on-failure destination records
(the original EventBridge event under `requestPayload`) and EventBridge's dead letters
(the event itself). Each is put back on the bus as it was — same source, detail-type and
detail, so its domain event id is unchanged and consumers that already did the work skip
it — and deleted from the queue once the bus has accepted it. Anything else stays.

    python -m hardening.replay --queue-url https://sqs.../AsyncFailureQueue --bus-name planhub-bus [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

import boto3


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


def replay(sqs: Any, events: Any, queue_url: str, bus_name: str, *, dry_run: bool = False) -> Replayed:
    result = Replayed()
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
    parser = argparse.ArgumentParser(prog="python -m hardening.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue-url", required=True, help="AsyncFailureQueueUrl (a stack output)")
    parser.add_argument("--bus-name", required=True, help="EventBusName (a stack output)")
    parser.add_argument("--region", default=None)
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed; change nothing")
    args = parser.parse_args(argv)
    sqs = boto3.client("sqs", region_name=args.region)
    events = boto3.client("events", region_name=args.region)
    result = replay(sqs, events, args.queue_url, args.bus_name, dry_run=args.dry_run)
    print(f"replayed {len(result.replayed)} events; kept {len(result.kept)} messages")
    for line in result.kept:
        print("  kept " + line)
    return 1 if result.kept else 0


if __name__ == "__main__":
    sys.exit(main())
