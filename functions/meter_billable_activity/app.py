"""Consumer of billable events: adds each to its client's monthly usage totals, once per event."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.commercial.metering import Metering
from planhub.events import DomainEvent
from planhub.observability import event_consumer

metering = Metering.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    metering.record(DomainEvent.from_eventbridge(event))
