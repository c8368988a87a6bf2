"""GET /admin/portals/{portalId}/users/{userId}: read a user (staff only)."""

from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import PortalId, UserId
from planhub.http.responses import errors
from planhub.records.user import User

catalog = CatalogService.from_environment()
app = RestApi()


@app.get(
    "/admin/portals/<portalId>/users/<userId>",
    operation_id="getUser",
    tags=["catalog"],
    responses=errors(401, 403, 404),
)
def get_user(portalId: PortalId, userId: UserId) -> User:
    """Read a user of a portal."""
    return catalog.get_user(app.claims, portalId, userId)


lambda_handler = app.handler()
