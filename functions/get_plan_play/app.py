"""GET /api/plan-plays/{planPlayId}: read one plan play."""

from planhub.http import ErrorStyle, RestApi
from planhub.http.params import ObjectId
from planhub.http.ratelimit import rate_limit_headers
from planhub.http.responses import DetailedError, errors
from planhub.plan_plays.models import PlanPlayAnswer
from planhub.plan_plays.service import PlanPlayService

plan_plays = PlanPlayService.from_environment()
app = RestApi(ErrorStyle.ERROR)
app.use([rate_limit_headers(plan_plays.limits)])  # RateLimit-Policy, RateLimit


@app.get(
    "/api/plan-plays/<planPlayId>",
    operation_id="getPlanPlay",
    tags=["plan plays"],
    responses=errors(401, 403, 404, model=DetailedError),
)
def get_plan_play(planPlayId: ObjectId) -> PlanPlayAnswer:
    """Read a plan play of the caller (staff: any plan play)."""
    return plan_plays.get(app.claims, planPlayId)


lambda_handler = app.handler()
