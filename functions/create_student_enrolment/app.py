"""POST /enrolment/{instance}/{parentLoId}/{loId}/enrolment/{studentEmail}/{status}: enrol a student.

The email segment is declared as `{statusOrEmail}`: API Gateway allows one variable name per
path level, and at this level the caller's own route carries the status.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from planhub.enrolments.models import CreatableStatus, EnrolmentCreateBody, EnrolmentId
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.params import LoId, ParentLoId, PortalRef, StudentEmail
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.post(
    "/enrolment/<instance>/<parentLoId>/<loId>/enrolment/<statusOrEmail>/<status>",
    operation_id="createStudentEnrolment",
    tags=["enrolments"],
    responses=errors(400, 403, 404, 409, 503),
)
def create_student_enrolment(
    *,
    instance: PortalRef,
    parentLoId: ParentLoId,
    loId: LoId,
    statusOrEmail: StudentEmail,
    status: Annotated[CreatableStatus, Path(description="The enrolment's status")],
    parentEnrolmentId: Annotated[int | None, Query(ge=1, description="Required with a parent LO")] = None,
    body: Annotated[EnrolmentCreateBody | None, Body()] = None,
) -> EnrolmentId:
    """Enrol a student on their behalf (portal admins, the student's managers, staff)."""
    return enrolments.enrol(
        app.claims,
        instance,
        parent_lo_id=parentLoId,
        lo_id=loId,
        status=status,
        parent_enrolment_id=parentEnrolmentId,
        body=body,
        student_email=statusOrEmail,
    )


lambda_handler = app.handler()
