"""PUT /enrolment/enrolment/{enrolmentId}: update an enrolment under the seed's permission table."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from planhub import conditional
from planhub.enrolments.models import EnrolmentUpdateBody
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.params import NumericId
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.put(
    "/enrolment/enrolment/<enrolmentId>",
    operation_id="updateEnrolment",
    tags=["enrolments"],
    responses=errors(400, 403, 404, 409, 412, success=204),
)
def update_enrolment(
    enrolmentId: NumericId,
    body: Annotated[EnrolmentUpdateBody, Body()],
    if_match: Annotated[
        str | None, Header(max_length=1024, description="The `ETag` a GET answered (or `*`): 412 when stale")
    ] = None,
) -> Response[None]:
    """Answers 204; 409 when someone else changed the same fields meanwhile. With `If-Match`
    (the `ETag` a GET answered): 412, and nothing changed, when the enrolment changed since."""
    tags = conditional.if_match({"If-Match": if_match} if if_match is not None else None)
    enrolments.update(app.claims, enrolmentId, body, if_match=tags)
    return Response(status_code=HTTPStatus.NO_CONTENT)


lambda_handler = app.handler()
