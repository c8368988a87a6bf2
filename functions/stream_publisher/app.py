"""The table's stream -> the EventBridge bus: publishes the outbox events, in order."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.events.stream import publish_stream_batch
from planhub.observability import logger
from planhub.settings import BusEnvironment
from planhub.storage.bus import EventBus

bus = EventBus(BusEnvironment.load().event_bus_name)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    answer = publish_stream_batch(event.get("Records", []), bus)
    if answer["batchItemFailures"]:
        logger.warning("publishing stopped early; Lambda retries from the failed record", extra=answer)
    return answer
