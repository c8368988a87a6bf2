"""Every minute: bill each subscription period that has begun, exactly once, oldest first.

"Now" is the scheduled event's `time` (the minute the schedule fired for), so a late or
retried invocation bills what had begun by that minute, and tests can drive the clock.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.billing.run import Biller, scheduled_now
from planhub.observability import event_consumer

biller = Biller.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    report = biller.run(scheduled_now(event.get("time")), lambda: context.get_remaining_time_in_millis() / 1000)
    return report.as_dict()
