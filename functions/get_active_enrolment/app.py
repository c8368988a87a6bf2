"""GET /enrolment/{instance}/lo/{loId}/user/{userId}: the user's active enrolment of the LO
(docs/product.md "Everyday operations")."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path

from planhub import conditional
from planhub.enrolments.models import EnrolmentView, LoId
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.get(
    "/enrolment/<instance>/lo/<loId>/user/<userId>",
    operation_id="getActiveEnrolment",
    tags=["enrolments"],
    responses=errors(400, 403, 404),
)
def get_active_enrolment(
    instance: Annotated[str, Path(description="The portal's id or name")],
    loId: Annotated[LoId, Path()],
    userId: Annotated[str, Path(min_length=1, max_length=128)],
) -> Response[EnrolmentView]:
    """404 when the user has no active enrolment of the LO. The `ETag` is the enrolment's, as on its GET."""
    view = enrolments.active_of(app.claims, instance, loId, userId)
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=view,
        headers={"ETag": conditional.entity_tag(view.version)},
    )


lambda_handler = app.handler()
