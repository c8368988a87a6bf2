"""Every minute: publish an "order due" event for each recurring order occurrence that has come.

"Now" is the scheduled event's `time` (the minute the schedule fired for), so a late or
retried invocation publishes what was due at that minute, and tests can drive the clock.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.observability import event_consumer
from planhub.subscriptions.orders import DueOrderPublisher

orders = DueOrderPublisher.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return {"published": orders.tick(event.get("time"), lambda: context.get_remaining_time_in_millis() / 1000)}
