"""POST /plans: create a subscription plan (company admins) or a recurring order plan (any company user)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.subscriptions.models import PlanBody, PlanDocument
from planhub.subscriptions.service import SubscriptionPlanService

plans = SubscriptionPlanService.from_environment()
app = RestApi()


@app.post("/plans", operation_id="createSubscriptionPlan", tags=["subscription plans"], responses=errors(400, 401, 403))
def create_subscription_plan(
    body: Annotated[PlanBody, Body()],
    api_key: Annotated[
        str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")
    ] = None,
) -> PlanDocument:
    """Create a plan; `total_amount` left out (or false) is the sum of the items."""
    return plans.create(app.claims, api_key, body)


lambda_handler = app.handler()
