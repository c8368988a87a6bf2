"""Consumer of "order due": makes the occurrence's order, once; PER_ORDER orders are charged at once."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.billing.orders import OrderBook
from planhub.events import DomainEvent
from planhub.observability import event_consumer

orders = OrderBook.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return {"order": orders.on_order_due(DomainEvent.from_eventbridge(event))}
