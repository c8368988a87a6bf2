"""PUT /plans/{plan_id}: change the updatable fields of a plan that is not static."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from planhub.http import RestApi
from planhub.http.params import ObjectId
from planhub.http.responses import errors
from planhub.subscriptions.models import PlanDocument, PlanUpdateBody
from planhub.subscriptions.service import SubscriptionPlanService

plans = SubscriptionPlanService.from_environment()
app = RestApi()


@app.put(
    "/plans/<plan_id>",
    operation_id="updateSubscriptionPlan",
    tags=["subscription plans"],
    responses=errors(400, 401, 403, 404, 409),
)
def update_subscription_plan(
    plan_id: ObjectId,
    body: Annotated[PlanUpdateBody, Body()],
    api_key: Annotated[
        str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")
    ] = None,
) -> PlanDocument:
    """Update active, name, note, initial_fail_amount_action, max_fail_attempts, discount or total_amount."""
    return plans.update(app.claims, api_key, plan_id, body)


lambda_handler = app.handler()
