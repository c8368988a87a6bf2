"""POST /enrolment/plan/{instance}/{loId}/user/{userId}: assign an LO to a user (`self` allowed)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.http import RestApi
from planhub.http.params import LoId, PortalRef, UserId
from planhub.http.responses import errors
from planhub.plans.models import AssignToUserBody, PlanCreated
from planhub.plans.service import PlanService

plans = PlanService.from_environment()
app = RestApi(go1=True)


@app.post(
    "/enrolment/plan/<instance>/<loId>/user/<userId>",
    operation_id="assignPlanToUser",
    tags=["plans"],
    responses=errors(400, 403, 404, 409),
)
def assign_plan_to_user(
    instance: PortalRef, loId: LoId, userId: UserId, body: Annotated[AssignToUserBody, Body()]
) -> PlanCreated:
    """Assign a learning object to a user: a new plan, the existing one (version 0) or a re-assignment (version 2)."""
    return plans.assign_to_user(app.claims, instance, loId, userId, body)


lambda_handler = app.handler()
