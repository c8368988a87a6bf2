"""POST /enrolment/{instance}/enrolment/{studentEmail}: enrol a student in many LOs."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.enrolments.models import EnrolmentsCreateBody, ItemOutcomes
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.params import PortalRef, StudentEmail
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.post(
    "/enrolment/<instance>/enrolment/<studentEmail>",
    operation_id="createStudentEnrolments",
    tags=["enrolments"],
    responses=errors(400, 403, 404),
)
def create_student_enrolments(
    instance: PortalRef,
    studentEmail: StudentEmail,
    body: Annotated[EnrolmentsCreateBody, Body()],
) -> ItemOutcomes:
    """On behalf of a student (portal admins, the student's managers, staff); per-item answers."""
    return enrolments.enrol_many(app.claims, instance, body, student_email=studentEmail)


lambda_handler = app.handler()
