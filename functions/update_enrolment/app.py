"""PUT /enrolment/enrolment/{enrolmentId}: update an enrolment under the seed's permission table."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.enrolments.models import EnrolmentUpdateBody
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.params import NumericId
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.put("/enrolment/enrolment/<enrolmentId>", tags=["enrolments"], responses=errors(400, 403, 404, 409, success=204))
def update_enrolment(
    enrolmentId: NumericId,
    body: Annotated[EnrolmentUpdateBody, Body()],
) -> Response[None]:
    """Answers 204; 409 when someone else changed the same fields meanwhile."""
    enrolments.update(app.claims, enrolmentId, body)
    return Response(status_code=HTTPStatus.NO_CONTENT)


lambda_handler = app.handler()
