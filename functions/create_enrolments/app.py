"""POST /enrolment/{instance}/enrolment: enrol the caller in many LOs, each item on its own."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.enrolments.models import EnrolmentsCreateBody, ItemOutcomes
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.params import PortalRef
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.post(
    "/enrolment/<instance>/enrolment",
    operation_id="createEnrolments",
    tags=["enrolments"],
    responses=errors(400, 403, 404),
)
def create_enrolments(
    instance: PortalRef,
    body: Annotated[EnrolmentsCreateBody, Body()],
) -> ItemOutcomes:
    """Answers `{loId: {status code: {"id": ...} or {"message": ...}}}` per item."""
    return enrolments.enrol_many(app.claims, instance, body)


lambda_handler = app.handler()
