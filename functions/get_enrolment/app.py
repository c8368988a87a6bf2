"""GET /enrolment/enrolment/{enrolmentId}: an enrolment, archived or not, with its `ETag`."""

from aws_lambda_powertools.event_handler import Response, content_types

from planhub import conditional
from planhub.enrolments.models import EnrolmentView
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.params import NumericId
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.get(
    "/enrolment/enrolment/<enrolmentId>",
    operation_id="getEnrolment",
    tags=["enrolments"],
    responses=errors(400, 403, 404),
)
def get_enrolment(enrolmentId: NumericId) -> Response[EnrolmentView]:
    """For the learner, their managers, portal admins, the LO's assessors and staff. The `ETag`
    names its version: send it back as `If-Match` on a PUT to change only what you read."""
    view = enrolments.get(app.claims, enrolmentId)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=view,
        headers={"ETag": conditional.entity_tag(view.version)},
    )


lambda_handler = app.handler()
