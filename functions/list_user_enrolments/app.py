"""GET /enrolment/{instance}/user/{userId}/enrolments: a user's enrolments (docs/product.md "Everyday operations")."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from planhub.enrolments.models import EnrolmentPage, EnrolmentStatus, LoId
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.get(
    "/enrolment/<instance>/user/<userId>/enrolments",
    operation_id="listUserEnrolments",
    tags=["enrolments"],
    responses=errors(400, 403, 404),
)
def list_user_enrolments(  # noqa: PLR0917 - one argument per filter of the route
    instance: Annotated[str, Path(description="The portal's id or name")],
    userId: Annotated[str, Path(min_length=1, max_length=128)],
    status: Annotated[EnrolmentStatus | None, Query()] = None,
    lo_id: Annotated[LoId | None, Query()] = None,
    archived: Annotated[bool, Query(description="true: the archived enrolments instead of the active ones")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> EnrolmentPage:
    """For the user, their managers, portal admins and staff; pass `cursor` back for the next page."""
    return enrolments.of_user(
        app.claims, instance, userId, status=status, lo_id=lo_id, archived=archived, limit=limit, cursor=cursor
    )


lambda_handler = app.handler()
