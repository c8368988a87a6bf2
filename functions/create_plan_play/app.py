"""POST /api/plan-plays: create a plan play, a billable activity under the client's commercial controls."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query

from planhub.http import ErrorStyle, RestApi
from planhub.http.ratelimit import rate_limit_headers
from planhub.http.responses import DetailedError, errors
from planhub.id_rules import ID_MAX_LENGTH, ID_PATTERN
from planhub.plan_plays.models import PlanPlayAnswer, PlanPlayCreateBody
from planhub.plan_plays.service import PlanPlayService

plan_plays = PlanPlayService.from_environment()
app = RestApi(ErrorStyle.ERROR)
app.use([rate_limit_headers(plan_plays.limits)])  # RateLimit-Policy, RateLimit


@app.post(
    "/api/plan-plays",
    status_code=201,
    operation_id="createPlanPlay",
    tags=["plan plays"],
    responses=errors(400, 401, 403, 409, 429, model=DetailedError, success=201),
)
def create_plan_play(
    body: Annotated[PlanPlayCreateBody, Body()],
    clientId: Annotated[
        str | None, Query(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN, description="Staff only")
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=128,
            description="Repeating a request with the same key answers the first plan play, billed once",
        ),
    ] = None,
) -> PlanPlayAnswer:
    """Create a plan play for the caller (or, for staff, any user), consuming the client's credits."""
    return plan_plays.create(app.claims, clientId, body, idempotency_key)


lambda_handler = app.handler()
