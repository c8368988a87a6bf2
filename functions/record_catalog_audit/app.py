"""Consumer of every catalog event: records it in the audit trail, once per event."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.catalog.service import CatalogService
from planhub.events import DomainEvent
from planhub.observability import event_consumer

catalog = CatalogService.from_environment()


@event_consumer
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    catalog.record_audit(DomainEvent.from_eventbridge(event))
