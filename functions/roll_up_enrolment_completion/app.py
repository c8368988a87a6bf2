"""Consumer of `enrolment completed`: completes the parent enrolment when all its children are."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.enrolments.service import EnrolmentService
from planhub.events import DomainEvent
from planhub.observability import event_consumer

enrolments = EnrolmentService.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    enrolments.roll_up(DomainEvent.from_eventbridge(event))
