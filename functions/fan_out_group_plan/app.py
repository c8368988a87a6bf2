"""Consumer of "group plan assigned": announces the group's members in batches to assign."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.events import DomainEvent
from planhub.observability import event_consumer
from planhub.plans.fanout import GroupFanOut

fan_out = GroupFanOut.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    fan_out.announce_batches(DomainEvent.from_eventbridge(event))
