"""DELETE /enrolment/plan/{planId}: unassign a plan (it is archived; its enrolment is untouched)."""

from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.plans.service import PlanService

plans = PlanService.from_environment()
app = RestApi(go1=True)


@app.delete(
    "/enrolment/plan/<planId>",
    tags=["plans"],
    responses=errors(403, 404, 409, success=204),
    operation_id="unassignPlan",
)
def unassign_plan(planId: str) -> Response[None]:
    """Archive the plan (204, also when it already is); the group's later syncs do not bring it back."""
    plans.unassign(app.claims, planId)
    return Response(status_code=HTTPStatus.NO_CONTENT)


lambda_handler = app.handler()
