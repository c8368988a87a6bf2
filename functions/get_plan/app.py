"""GET /enrolment/plan/{planId}: read a plan (archived ones too) or a group assignment."""

from planhub.http import RestApi
from planhub.http.params import NumericId
from planhub.http.responses import errors
from planhub.plans.models import PlanView
from planhub.plans.service import PlanService

plans = PlanService.from_environment()
app = RestApi(go1=True)


@app.get("/enrolment/plan/<planId>", operation_id="getPlan", tags=["plans"], responses=errors(400, 403, 404))
def get_plan(planId: NumericId) -> PlanView:
    """Read a plan: to its user, their managers, the portal's admins and staff."""
    return plans.get_plan(app.claims, planId)


lambda_handler = app.handler()
