"""PUT /admin/portals/{portalId}/users/{userId}: create or replace a user (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import UserBody
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import PortalId, UserId
from planhub.http.responses import errors
from planhub.records.user import User

catalog = CatalogService.from_environment()
app = RestApi()


@app.put(
    "/admin/portals/<portalId>/users/<userId>",
    operation_id="putUser",
    tags=["catalog"],
    responses=errors(400, 401, 403, 404),
)
def put_user(portalId: PortalId, userId: UserId, body: Annotated[UserBody, Body()]) -> User:
    """Create or replace a user of a portal, with their roles and managers."""
    return catalog.put_user(app.claims, portalId, userId, body)


lambda_handler = app.handler()
