"""From the table's stream to the bus: the outbox publisher's logic.

Records are published in stream order. If EventBridge refuses one, the answer names that
record as the first failure, so Lambda retries from it (and only from it): nothing is lost,
and what was already published is not published again by this batch.
"""

from __future__ import annotations

from typing import Any

from planhub.events import OUTBOX_ENTITY, DomainEvent
from planhub.storage.bus import EventBus, PublishFailed
from planhub.storage.codec import from_attributes


def outbox_event(record: dict[str, Any]) -> DomainEvent | None:
    """The domain event a stream record carries, or None for any other change."""
    if record.get("eventName") != "INSERT":
        return None
    image = record.get("dynamodb", {}).get("NewImage")
    if not image or image.get("entity", {}).get("S") != OUTBOX_ENTITY:
        return None
    return DomainEvent.from_outbox_item(from_attributes(image))


def publish_stream_batch(records: list[dict[str, Any]], bus: EventBus) -> dict[str, Any]:
    """Publishes the outbox events of a stream batch; answers a partial-batch response."""
    pending: list[tuple[str, DomainEvent]] = []
    for record in records:
        event = outbox_event(record)
        if event is not None:
            pending.append((record["dynamodb"]["SequenceNumber"], event))
    try:
        bus.publish([event for _, event in pending])
    except PublishFailed as failure:
        return {"batchItemFailures": [{"itemIdentifier": pending[failure.published][0]}]}
    return {"batchItemFailures": []}
