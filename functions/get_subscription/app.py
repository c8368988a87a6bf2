"""GET /subscriptions/{subscription_id}: read a subscription (the subscriber's, or any for admins)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from planhub.billing.models import SubscriptionDocument
from planhub.billing.service import SubscriptionService
from planhub.http import RestApi
from planhub.http.responses import errors

subscriptions = SubscriptionService.from_environment()
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.get(
    "/subscriptions/<subscription_id>",
    operation_id="getSubscription",
    tags=["subscriptions"],
    responses=errors(401, 403, 404),
)
def get_subscription(
    subscription_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")],
    api_key: ApiKey = None,
) -> SubscriptionDocument:
    """Reads a subscription; anyone but its subscriber and the company's admins gets 404."""
    return subscriptions.get(app.claims, api_key, subscription_id)


lambda_handler = app.handler()
