"""POST /enrolment/plan/{instance}/{loId}/group/{groupId}: assign an LO to every member of a group."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.http import RestApi
from planhub.http.params import GroupId, LoId, PortalRef
from planhub.http.responses import errors
from planhub.plans.models import AssignToGroupBody, PlanCreated
from planhub.plans.service import PlanService

plans = PlanService.from_environment()
app = RestApi(go1=True)


@app.post(
    "/enrolment/plan/<instance>/<loId>/group/<groupId>",
    operation_id="assignPlanToGroup",
    tags=["plans"],
    responses=errors(400, 403, 404),
)
def assign_plan_to_group(
    instance: PortalRef, loId: LoId, groupId: GroupId, body: Annotated[AssignToGroupBody, Body()]
) -> PlanCreated:
    """Record a group assignment at once; each member's plan is created asynchronously."""
    return plans.assign_to_group(app.claims, instance, loId, groupId, body)


lambda_handler = app.handler()
