"""GET /enrolment/enrolment/{enrolmentId}/history: an enrolment's status changes, newest first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from planhub.enrolments.models import EnrolmentHistoryPage
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.params import NumericId
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.get(
    "/enrolment/enrolment/<enrolmentId>/history",
    operation_id="listEnrolmentHistory",
    tags=["enrolments"],
    responses=errors(400, 403, 404),
)
def list_enrolment_history(
    enrolmentId: NumericId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> EnrolmentHistoryPage:
    """Who changed the status, when, from what, to what; pass `cursor` back for the next page."""
    return enrolments.history(app.claims, enrolmentId, limit, cursor)


lambda_handler = app.handler()
