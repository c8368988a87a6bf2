"""EventBridge: putting domain events on the bus (used by the stream publisher only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from planhub.events import SOURCE, DomainEvent

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient

PUT_EVENTS_LIMIT = 10


class PublishFailed(Exception):
    """Some entries were refused; `published` counts the events that went out before them."""

    def __init__(self, published: int, reason: str) -> None:
        super().__init__(f"EventBridge refused an event after {published} were published: {reason}")
        self.published = published


class EventBus:
    def __init__(self, name: str, client: EventBridgeClient | None = None) -> None:
        self.name = name
        self._client = client

    @property
    def client(self) -> EventBridgeClient:
        if self._client is None:
            self._client = boto3.client("events", config=Config(retries={"mode": "standard", "max_attempts": 5}))
        return self._client

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Puts `events` in order, ten at a time; raises PublishFailed at the first refusal.

        Consumers are idempotent by the domain event's id, so publishing an event twice
        after a retry is harmless; losing one is not.
        """
        for start in range(0, len(events), PUT_EVENTS_LIMIT):
            chunk = events[start : start + PUT_EVENTS_LIMIT]
            answer = self.client.put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": event.type,
                        "Detail": json.dumps(event.model_dump(mode="json")),
                        "EventBusName": self.name,
                    }
                    for event in chunk
                ]
            )
            if answer.get("FailedEntryCount", 0):
                for offset, entry in enumerate(answer["Entries"]):
                    if entry.get("ErrorCode"):
                        raise PublishFailed(start + offset, f"{entry['ErrorCode']}: {entry.get('ErrorMessage')}")
