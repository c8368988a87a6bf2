"""GET /admin/clients/{clientId}: read a client with its live balance and usage (staff only)."""

from planhub.catalog.models import ClientView
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import ClientId
from planhub.http.responses import errors

catalog = CatalogService.from_environment()
app = RestApi()


@app.get("/admin/clients/<clientId>", operation_id="getClient", tags=["catalog"], responses=errors(401, 403, 404))
def get_client(clientId: ClientId) -> ClientView:
    """Read a client with its current balance and this period's usage."""
    return catalog.get_client(app.claims, clientId)


lambda_handler = app.handler()
