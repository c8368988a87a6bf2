"""GET /enrolment/enrolment/{enrolmentId}: an enrolment, archived or not."""

from planhub.enrolments.models import EnrolmentView
from planhub.enrolments.service import EnrolmentService
from planhub.http import RestApi
from planhub.http.params import NumericId
from planhub.http.responses import errors

enrolments = EnrolmentService.from_environment()
app = RestApi(go1=True)


@app.get("/enrolment/enrolment/<enrolmentId>", tags=["enrolments"], responses=errors(400, 403, 404))
def get_enrolment(enrolmentId: NumericId) -> EnrolmentView:
    """For the learner, their managers, portal admins, the LO's assessors and staff."""
    return enrolments.get(app.claims, enrolmentId)


lambda_handler = app.handler()
