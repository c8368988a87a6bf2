"""Daily: a reminder for plans due within 24 hours, an overdue notice for plans past due, once each.

"Now" is the scheduled event's `time`, so a late or retried run acts for the moment the
schedule fired, and tests can drive the clock.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.observability import event_consumer
from planhub.plans.notices import DueNotices, run_time

notices = DueNotices.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int | bool]:
    now = run_time(event.get("time"))
    return notices.run(now, lambda: context.get_remaining_time_in_millis() / 1000).as_dict()
