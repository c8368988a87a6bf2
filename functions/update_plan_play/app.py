"""PATCH /api/plan-plays/{planPlayId}: update a plan play; its first completion is billable."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.http import ErrorStyle, RestApi
from planhub.http.params import ObjectId
from planhub.http.ratelimit import rate_limit_headers
from planhub.http.responses import DetailedError, errors
from planhub.plan_plays.models import PlanPlayAnswer, PlanPlayUpdateBody
from planhub.plan_plays.service import PlanPlayService

plan_plays = PlanPlayService.from_environment()
app = RestApi(ErrorStyle.ERROR)
app.use([rate_limit_headers(plan_plays.limits)])  # RateLimit-Policy, RateLimit


@app.patch(
    "/api/plan-plays/<planPlayId>",
    operation_id="updatePlanPlay",
    tags=["plan plays"],
    responses=errors(400, 401, 403, 404, 409, 429, model=DetailedError),
)
def update_plan_play(planPlayId: ObjectId, body: Annotated[PlanPlayUpdateBody, Body()]) -> PlanPlayAnswer:
    """Update a plan play's progress; the first transition to completed (or ended) is billed once."""
    return plan_plays.update(app.claims, planPlayId, body)


lambda_handler = app.handler()
