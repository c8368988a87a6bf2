"""Consumer of the events that call for an email: renders and sends it through SES, once per event."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.events import DomainEvent
from planhub.notifications.service import Notifications
from planhub.observability import event_consumer

notifications = Notifications.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    notifications.send_for(DomainEvent.from_eventbridge(event))
