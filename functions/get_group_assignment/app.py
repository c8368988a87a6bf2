"""GET /enrolment/plan/group-assignment/{id}: how far a group assignment's fan-out has got."""

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.plans.models import GroupAssignmentProgress
from planhub.plans.service import PlanService

plans = PlanService.from_environment()
app = RestApi(go1=True)


@app.get(
    "/enrolment/plan/group-assignment/<id>",
    tags=["plans"],
    responses=errors(403, 404),
    operation_id="getGroupAssignment",
)
def get_group_assignment(id: str) -> GroupAssignmentProgress:
    """Members reached, assigned, skipped (already assigned, excluded) and failed; `done` when each has an outcome."""
    return plans.group_assignment(app.claims, id)


lambda_handler = app.handler()
