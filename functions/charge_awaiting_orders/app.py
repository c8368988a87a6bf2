"""Consumer of "payment method created": the user's orders awaiting payment are charged, each once."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.billing.orders import OrderBook
from planhub.events import DomainEvent
from planhub.observability import event_consumer

orders = OrderBook.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return orders.on_payment_method_created(DomainEvent.from_eventbridge(event))
