"""PATCH /enrolment/plan/{planId}: change or clear a plan's due date."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.plans.models import DueDateChange
from planhub.plans.service import PlanService

plans = PlanService.from_environment()
app = RestApi(go1=True)


@app.patch(
    "/enrolment/plan/<planId>",
    tags=["plans"],
    responses=errors(400, 403, 404, 409, success=204),
    operation_id="updatePlanDueDate",
)
def update_plan_due_date(planId: str, body: Annotated[DueDateChange, Body()]) -> Response[None]:
    """A new due date, or null to clear it (204); reminders follow the new date. 409 when the plan is archived."""
    plans.change_due_date(app.claims, planId, body)
    return Response(status_code=HTTPStatus.NO_CONTENT)


lambda_handler = app.handler()
