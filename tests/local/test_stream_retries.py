"""The local stack retries a stream batch whose publisher raised, as Lambda does."""

from __future__ import annotations

from typing import Any

import pytest

from planhub.storage.bus import EventBus
from planhub_local.stack import LocalStack
from tests.conftest import Catalog


def test_a_publisher_that_raises_is_retried_until_the_event_goes_out(
    stack: LocalStack, given: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given EventBridge times out twice when the portal's event is published
    publish = EventBus.publish
    outages = iter([True, True])

    def flaky(self: EventBus, events: Any) -> None:
        if next(outages, False):
            raise TimeoutError("EventBridge did not answer")
        publish(self, events)

    monkeypatch.setattr(EventBus, "publish", flaky)
    given.portal()

    # When the stack drains
    stack.drain()

    # Then the batch was retried and the event delivered exactly once
    assert stack.stream_failures == 2
    delivered = [d for d in stack.delivered if d.event["detail-type"] == "portal saved"]
    assert len(delivered) == 1
