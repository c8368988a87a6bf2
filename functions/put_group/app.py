"""PUT /admin/portals/{portalId}/groups/{groupId}: create or replace a group and its membership (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import GroupBody, GroupView
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import GroupId, PortalId
from planhub.http.responses import errors

catalog = CatalogService.from_environment()
app = RestApi()


@app.put(
    "/admin/portals/<portalId>/groups/<groupId>",
    operation_id="putGroup",
    tags=["catalog"],
    responses=errors(400, 401, 403, 404),
)
def put_group(portalId: PortalId, groupId: GroupId, body: Annotated[GroupBody, Body()]) -> GroupView:
    """Create or replace a group; membership changes are published as events."""
    return catalog.put_group(app.claims, portalId, groupId, body)


lambda_handler = app.handler()
