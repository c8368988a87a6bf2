"""GET /admin/portals/{portalId}/groups/{groupId}: read a group with its members (staff only)."""

from planhub.catalog.models import GroupView
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import GroupId, PortalId
from planhub.http.responses import errors

catalog = CatalogService.from_environment()
app = RestApi()


@app.get(
    "/admin/portals/<portalId>/groups/<groupId>",
    operation_id="getGroup",
    tags=["catalog"],
    responses=errors(401, 403, 404),
)
def get_group(portalId: PortalId, groupId: GroupId) -> GroupView:
    """Read a group with its members."""
    return catalog.get_group(app.claims, portalId, groupId)


lambda_handler = app.handler()
