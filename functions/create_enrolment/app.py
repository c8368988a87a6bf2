"""POST /enrolment/{instance}/{parentLoId}/{loId}/enrolment/{status}: enrol the caller in one LO.

The last segment is declared as `{statusOrEmail}`: API Gateway allows one variable name per
path level, and at this level the on-behalf route carries the student's email.
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
    "/enrolment/<instance>/<parentLoId>/<loId>/enrolment/<statusOrEmail>",
    tags=["enrolments"],
    responses=errors(400, 403, 404, 409, 503),
)
def create_enrolment(
    *,
    instance: Annotated[str, Path(description="The portal's id or name")],
    parentLoId: Annotated[LoId, Path(description="The parent LO (course of a module, module of an item); 0: none")],
    loId: Annotated[LoId, Path()],
    statusOrEmail: Annotated[CreatableStatus, Path(description="The enrolment's status")],
    parentEnrolmentId: Annotated[int | None, Query(ge=1, description="Required with a parent LO")] = None,
    body: Annotated[EnrolmentCreateBody | None, Body()] = None,
) -> EnrolmentId:
    """Enrol in a learning object (paid ones need a payment); an active enrolment answers its id."""
    return enrolments.enrol(
        app.claims,
        instance,
        parent_lo_id=parentLoId,
        lo_id=loId,
        status=statusOrEmail,
        parent_enrolment_id=parentEnrolmentId,
        body=body,
    )


lambda_handler = app.handler()
