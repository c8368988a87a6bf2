"""GET /enrolment/plan/{instance}/user/{userId}: a user's plans, due soonest first (no due date last)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.plans.models import PlanPage
from planhub.plans.service import PlanService

plans = PlanService.from_environment()
app = RestApi(go1=True)


@app.get(
    "/enrolment/plan/<instance>/user/<userId>",
    tags=["plans"],
    responses=errors(400, 403, 404),
    operation_id="listUserPlans",
)
def list_user_plans(  # noqa: PLR0917 - one parameter per query field
    instance: Annotated[str, Path(description="The portal's id or name")],
    userId: Annotated[str, Path(description="The user's id, or `self`")],
    archived: Annotated[bool, Query(description="Add the archived plans (after the active ones)")] = False,
    lo_id: Annotated[str | None, Query(max_length=128, description="Only the plans of this LO")] = None,
    overdue: Annotated[bool, Query(description="Only the active plans past their due date")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> PlanPage:
    """A user's active plans, to the user, their managers, the portal's admins, staff; `cursor` pages on."""
    return plans.list_user_plans(
        app.claims, instance, userId, archived=archived, lo_id=lo_id, overdue=overdue, limit=limit, cursor=cursor
    )


lambda_handler = app.handler()
