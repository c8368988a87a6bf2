"""DELETE /plans/{plan_id}: delete a plan (softly: it is kept, marked deleted)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header

from planhub.http import RestApi
from planhub.http.params import ObjectId
from planhub.http.responses import errors
from planhub.subscriptions.service import SubscriptionPlanService

plans = SubscriptionPlanService.from_environment()
app = RestApi()


@app.delete(
    "/plans/<plan_id>",
    operation_id="deleteSubscriptionPlan",
    tags=["subscription plans"],
    responses=errors(401, 403, 404, success=204),
)
def delete_subscription_plan(
    plan_id: ObjectId,
    api_key: Annotated[
        str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")
    ] = None,
) -> Response[None]:
    """Delete a plan: answered 204; it is listed again only with include_deleted=true."""
    plans.delete(app.claims, api_key, plan_id)
    return Response(status_code=204)


lambda_handler = app.handler()
