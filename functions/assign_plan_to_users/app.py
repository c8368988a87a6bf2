"""POST /enrolment/plan/{instance}/{loId}/users: assign an LO to many users, answered per user."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.plans.models import AssignToUsersBody, UserOutcomes
from planhub.plans.service import PlanService

plans = PlanService.from_environment()
app = RestApi(go1=True)


@app.post(
    "/enrolment/plan/<instance>/<loId>/users",
    tags=["plans"],
    responses=errors(400, 403, 404),
    operation_id="assignPlanToUsers",
)
def assign_plan_to_users(
    instance: Annotated[str, Path(description="The portal's id or name")],
    loId: str,
    body: Annotated[AssignToUsersBody, Body()],
) -> UserOutcomes:
    """Answers `{userId: {"200": {"id": plan id}}}` or `{userId: {status: {"message": ...}}}` per user."""
    return plans.assign_to_users(app.claims, instance, loId, body)


lambda_handler = app.handler()
