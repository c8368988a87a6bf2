"""DELETE /enrolment/enrolment/{enrolmentId}: withdraw: the enrolment and its open children archived."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.delete(
    "/enrolment/enrolment/<enrolmentId>",
    operation_id="withdrawEnrolment",
    tags=["enrolments"],
    responses=errors(400, 403, 404, 409, success=204),
)
def withdraw_enrolment(enrolmentId: Annotated[int, Path(ge=1)]) -> Response[None]:
    """By the user's managers, portal admins and staff; 409 when it is completed or archived already."""
    enrolments.withdraw(app.claims, enrolmentId)
    return Response(status_code=HTTPStatus.NO_CONTENT)


lambda_handler = app.handler()
