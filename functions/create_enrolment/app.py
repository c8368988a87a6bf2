"""POST /enrolment/{instance}/{parentLoId}/{loId}/enrolment[/{status}]: enrol the caller in one LO.

The `/{status}` segment may be left out (the seed's default, `in-progress`): that is a route
of its own, served by this function too (docs/decisions/enrolments-routes.md). The last
segment is declared as `{statusOrEmail}`: API Gateway allows one variable name per path
level, and at this level the on-behalf route carries the student's email; a student's
email there (their route with its status left out) enrols them on their behalf.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from planhub.enrolments.models import (
    DEFAULT_STATUS,
    CreatableStatus,
    EnrolmentCreateBody,
    EnrolmentId,
    StudentEmail,
    status_or_student,
)
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.params import LoId, NumericIdQuery, ParentLoId, PortalRef
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.post(
    "/enrolment/<instance>/<parentLoId>/<loId>/enrolment/<statusOrEmail>",
    operation_id="createEnrolment",
    tags=["enrolments"],
    responses=errors(400, 403, 404, 409, 503),
)
def create_enrolment(
    *,
    instance: PortalRef,
    parentLoId: ParentLoId,
    loId: LoId,
    statusOrEmail: Annotated[
        CreatableStatus | StudentEmail,
        Path(description="The enrolment's status; or a student's email, enrolled on their behalf as in-progress"),
    ],
    parentEnrolmentId: NumericIdQuery = None,
    body: Annotated[EnrolmentCreateBody | None, Body()] = None,
) -> EnrolmentId:
    """Enrol in a learning object (paid ones need a payment); an active enrolment answers its id."""
    status, student_email = status_or_student(statusOrEmail)
    return enrolments.enrol(
        app.claims,
        instance,
        parent_lo_id=parentLoId,
        lo_id=loId,
        status=status,
        parent_enrolment_id=parentEnrolmentId,
        body=body,
        student_email=student_email,
    )


@app.post(
    "/enrolment/<instance>/<parentLoId>/<loId>/enrolment",
    operation_id="createEnrolmentInProgress",
    tags=["enrolments"],
    responses=errors(400, 403, 404, 409),
)
def create_enrolment_in_progress(
    *,
    instance: PortalRef,
    parentLoId: ParentLoId,
    loId: LoId,
    parentEnrolmentId: NumericIdQuery = None,
    body: Annotated[EnrolmentCreateBody | None, Body()] = None,
) -> EnrolmentId:
    """Enrol in a learning object with the default status, in-progress (the seed's STATUS left out)."""
    return enrolments.enrol(
        app.claims,
        instance,
        parent_lo_id=parentLoId,
        lo_id=loId,
        status=DEFAULT_STATUS,
        parent_enrolment_id=parentEnrolmentId,
        body=body,
    )


lambda_handler = app.handler()
