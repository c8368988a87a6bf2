"""POST /enrolment/{instance}/{parentLoId}/{loId}/enrolment/{studentEmail}/{status}: enrol a student.

The email segment is declared as `{statusOrEmail}`: API Gateway allows one variable name per
path level, and at this level the caller's own route carries the status.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from planhub.enrolments.models import CreatableStatus, EnrolmentCreateBody, EnrolmentId, LoId
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.post(
    "/enrolment/<instance>/<parentLoId>/<loId>/enrolment/<statusOrEmail>/<status>",
    tags=["enrolments"],
    responses=errors(400, 403, 404, 409, 503),
)
def create_student_enrolment(
    *,
    instance: Annotated[str, Path(description="The portal's id or name")],
    parentLoId: Annotated[LoId, Path(description="The parent LO (course of a module, module of an item); 0: none")],
    loId: Annotated[LoId, Path()],
    statusOrEmail: Annotated[str, Path(max_length=254, description="The student's email")],
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
