"""POST /subscriptions/{subscription_id}/update: note, payment method, one end rule."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from planhub.billing.models import SubscriptionDocument, UpdateBody
from planhub.billing.service import SubscriptionService
from planhub.http import RestApi
from planhub.http.responses import errors

subscriptions = SubscriptionService.from_environment()
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.post(
    "/subscriptions/<subscription_id>/update",
    operation_id="updateSubscription",
    tags=["subscriptions"],
    responses=errors(400, 401, 403, 404, 409),
)
def update_subscription(
    subscription_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")],
    body: UpdateBody,
    api_key: ApiKey = None,
) -> SubscriptionDocument:
    """Changes the note, the payment method, or the end rule (infinite > ending_date > interval_total)."""
    return subscriptions.update(app.claims, api_key, subscription_id, body)


lambda_handler = app.handler()
