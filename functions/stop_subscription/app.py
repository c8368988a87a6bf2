"""POST /subscriptions/{subscription_id}/stop: NON_RENEWING until ending_date, then CANCELLED."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from planhub.billing.models import StopBody, SubscriptionDocument
from planhub.billing.service import SubscriptionService
from planhub.http import RestApi
from planhub.http.responses import errors

subscriptions = SubscriptionService.from_environment()
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.post(
    "/subscriptions/<subscription_id>/stop",
    operation_id="stopSubscription",
    tags=["subscriptions"],
    responses=errors(400, 401, 403, 404, 409),
)
def stop_subscription(
    subscription_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")],
    body: StopBody,
    api_key: ApiKey = None,
) -> SubscriptionDocument:
    """Stops renewing; with prorate, the unused share of the period is refunded at the period's end."""
    return subscriptions.stop(app.claims, api_key, subscription_id, body)


lambda_handler = app.handler()
