"""GET /enrolment/enrolment/{enrolmentId}: an enrolment, archived or not."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from planhub.enrolments.models import EnrolmentView
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.get("/enrolment/enrolment/<enrolmentId>", tags=["enrolments"], responses=errors(400, 403, 404))
def get_enrolment(enrolmentId: Annotated[int, Path(ge=1)]) -> EnrolmentView:
    """For the learner, their managers, portal admins, the LO's assessors and staff."""
    return enrolments.get(app.claims, enrolmentId)


lambda_handler = app.handler()
