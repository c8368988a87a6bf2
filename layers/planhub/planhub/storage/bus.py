"""EventBridge: putting domain events on the bus (used by the stream publisher only)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from planhub.events import PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES, SOURCE, DomainEvent, entry_size

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef


class PublishFailed(Exception):
    """Some entries were refused; `published` counts the events that went out before them."""

    def __init__(self, published: int, reason: str) -> None:
        super().__init__(f"EventBridge refused an event after {published} were published: {reason}")
        self.published = published


def requests(events: Sequence[DomainEvent], bus_name: str) -> Iterator[tuple[int, list[PutEventsRequestEntryTypeDef]]]:
    """`events` as PutEvents requests, in order: (index of the first event, entries), each at
    most PUT_EVENTS_MAX_ENTRIES entries and PUT_EVENTS_MAX_BYTES by EventBridge's count."""
    entries: list[PutEventsRequestEntryTypeDef] = []
    first, size = 0, 0
    for index, event in enumerate(events):
        detail = event.detail_json()
        entry_bytes = entry_size(SOURCE, event.type, detail)
        if entries and (len(entries) == PUT_EVENTS_MAX_ENTRIES or size + entry_bytes > PUT_EVENTS_MAX_BYTES):
            yield first, entries
            entries, first, size = [], index, 0
        entries.append({"Source": SOURCE, "DetailType": event.type, "Detail": detail, "EventBusName": bus_name})
        size += entry_bytes
    if entries:
        yield first, entries


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
        """Puts `events` in order, in requests within PutEvents' count and size limits; raises
        PublishFailed at the first refusal.

        Consumers are idempotent by the domain event's id, so publishing an event twice
        after a retry is harmless; losing one is not.
        """
        for first, entries in requests(events, self.name):
            answer = self.client.put_events(Entries=entries)
            if answer.get("FailedEntryCount", 0):
                for offset, entry in enumerate(answer["Entries"]):
                    if entry.get("ErrorCode"):
                        raise PublishFailed(first + offset, f"{entry['ErrorCode']}: {entry.get('ErrorMessage')}")
