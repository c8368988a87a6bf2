"""Consumer of `refund requested`: refunds the charge through Stripe (same idempotency key on
every attempt) and records the outcome; raises while Stripe is unavailable, so Lambda retries
and, retries exhausted, the event waits in the dead-letter queue for `make replay`."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.events import DomainEvent
from planhub.observability import event_consumer
from planhub.payments.refunds import RefundService

refunds = RefundService.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    refunds.refund(DomainEvent.from_eventbridge(event))
