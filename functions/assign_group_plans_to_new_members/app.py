"""Consumer of "group members changed": members added to a group get the group's active plans."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.events import DomainEvent
from planhub.observability import event_consumer
from planhub.plans.fanout import GroupFanOut

fan_out = GroupFanOut.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    fan_out.assign_to_new_members(DomainEvent.from_eventbridge(event))
