"""GET /api/plan-plays: list the client's plan plays (a learner's own only), newest first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from planhub.http import ErrorStyle, RestApi
from planhub.http.ratelimit import rate_limit_headers
from planhub.http.responses import DetailedError, errors
from planhub.id_rules import ID_MAX_LENGTH, ID_PATTERN
from planhub.plan_plays.models import PlanPlayPage, StatusInput
from planhub.plan_plays.service import PlanPlayService

plan_plays = PlanPlayService.from_environment()
app = RestApi(ErrorStyle.ERROR)
app.use([rate_limit_headers(plan_plays.limits)])  # RateLimit-Policy, RateLimit


@app.get(
    "/api/plan-plays",
    operation_id="listPlanPlays",
    tags=["plan plays"],
    responses=errors(400, 401, 403, model=DetailedError),
)
def list_plan_plays(
    *,
    clientId: Annotated[
        str | None, Query(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN, description="Staff only")
    ] = None,
    userId: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    status: Annotated[StatusInput | None, Query()] = None,
    planId: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> PlanPlayPage:
    """Plan plays newest first; pass `cursor` back for the next page."""
    return plan_plays.list_plan_plays(
        app.claims,
        client_id=clientId,
        user_id=userId,
        status=status,
        plan_id=planId,
        limit=limit,
        cursor=cursor,
    )


lambda_handler = app.handler()
