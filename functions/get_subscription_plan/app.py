"""GET /plans/{plan_id}: read one of your company's subscription plans."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header

from planhub.http import RestApi
from planhub.http.params import ObjectId
from planhub.http.responses import errors
from planhub.subscriptions.models import PlanDocument
from planhub.subscriptions.service import SubscriptionPlanService

plans = SubscriptionPlanService.from_environment()
app = RestApi()


@app.get(
    "/plans/<plan_id>", operation_id="getSubscriptionPlan", tags=["subscription plans"], responses=errors(401, 403, 404)
)
def get_subscription_plan(
    plan_id: ObjectId,
    api_key: Annotated[
        str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")
    ] = None,
) -> PlanDocument:
    """Read a plan; deleted plans, and other users' recurring order plans, are not found."""
    return plans.get(app.claims, api_key, plan_id)


lambda_handler = app.handler()
