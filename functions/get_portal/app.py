"""GET /admin/portals/{portalId}: read a portal (staff only)."""

from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import PortalId
from planhub.http.responses import errors
from planhub.records.portal import Portal

catalog = CatalogService.from_environment()
app = RestApi()


@app.get("/admin/portals/<portalId>", operation_id="getPortal", tags=["catalog"], responses=errors(401, 403, 404))
def get_portal(portalId: PortalId) -> Portal:
    """Read a portal."""
    return catalog.get_portal(app.claims, portalId)


lambda_handler = app.handler()
