"""POST /subscriptions: subscribe the caller to one of their company's basic plans."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header

from planhub.billing.models import SubscriptionBody, SubscriptionDocument
from planhub.billing.service import SubscriptionService
from planhub.http import RestApi
from planhub.http.responses import errors

subscriptions = SubscriptionService.from_environment(bills=True)
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.post("/subscriptions", operation_id="createSubscription", tags=["subscriptions"], responses=errors(400, 401, 403))
def create_subscription(body: SubscriptionBody, api_key: ApiKey = None) -> SubscriptionDocument:
    """Creates a subscription (CREATED; `start_now: true` starts it, and bills its first period)."""
    return subscriptions.create(app.claims, api_key, body)


lambda_handler = app.handler()
