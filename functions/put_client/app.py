"""PUT /admin/clients/{clientId}: create or replace a commercial API client (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import ClientBody, ClientView
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import ClientId
from planhub.http.responses import errors

catalog = CatalogService.from_environment()
app = RestApi()


@app.put("/admin/clients/<clientId>", operation_id="putClient", tags=["catalog"], responses=errors(400, 401, 403))
def put_client(clientId: ClientId, body: Annotated[ClientBody, Body()]) -> ClientView:
    """Create or replace a client and its commercial policy."""
    return catalog.put_client(app.claims, clientId, body)


lambda_handler = app.handler()
