"""PUT /admin/portals/{portalId}: create or replace a portal (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import PortalBody
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import PortalId
from planhub.http.responses import errors
from planhub.records.portal import Portal

catalog = CatalogService.from_environment()
app = RestApi()


@app.put("/admin/portals/<portalId>", operation_id="putPortal", tags=["catalog"], responses=errors(400, 401, 403, 409))
def put_portal(portalId: PortalId, body: Annotated[PortalBody, Body()]) -> Portal:
    """Create or replace a portal; it is addressable by id or by its (unique) name."""
    return catalog.put_portal(app.claims, portalId, body)


lambda_handler = app.handler()
