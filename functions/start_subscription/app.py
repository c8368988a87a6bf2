"""POST /subscriptions/{subscription_id}/start: ACTIVE (or FUTURE), billed per period."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from planhub.billing.models import StartBody, SubscriptionDocument
from planhub.billing.service import SubscriptionService
from planhub.http import RestApi
from planhub.http.responses import errors

subscriptions = SubscriptionService.from_environment(bills=True)
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.post(
    "/subscriptions/<subscription_id>/start",
    operation_id="startSubscription",
    tags=["subscriptions"],
    responses=errors(400, 401, 403, 404, 409),
)
def start_subscription(
    subscription_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")],
    body: StartBody,
    api_key: ApiKey = None,
) -> SubscriptionDocument:
    """Starts a CREATED subscription: ACTIVE now (its first period billed at once) or FUTURE until starting_date."""
    return subscriptions.start(app.claims, api_key, subscription_id, body)


lambda_handler = app.handler()
