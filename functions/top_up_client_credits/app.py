"""POST /admin/clients/{clientId}/credits: top up a client's balance atomically (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import ClientView, CreditTopUpBody
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import ClientId
from planhub.http.responses import errors

catalog = CatalogService.from_environment()
app = RestApi()


@app.post(
    "/admin/clients/<clientId>/credits",
    operation_id="topUpClientCredits",
    tags=["catalog"],
    responses=errors(400, 401, 403, 404, 409),
)
def top_up_client_credits(clientId: ClientId, body: Annotated[CreditTopUpBody, Body()]) -> ClientView:
    """Add credits to the client's balance in one atomic update."""
    return catalog.top_up_credits(app.claims, clientId, body)


lambda_handler = app.handler()
