"""Consumer of the email queue: renders and sends the email each queued event calls for,
through SES, once per event and paced under the SES send rate."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.events import DomainEvent
from planhub.notifications.service import Notifications
from planhub.observability import event_consumer, queue_consumer

notifications = Notifications.from_environment()


@event_consumer
def send_one(event: dict[str, Any], context: LambdaContext) -> None:
    notifications.send_for(DomainEvent.from_eventbridge(event))


lambda_handler = queue_consumer(send_one)
