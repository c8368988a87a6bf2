"""POST /admin/portals/{portalId}/credit-tokens: issue prepaid credit tokens (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import CreditTokensBody, CreditTokensIssued
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import PortalId
from planhub.http.responses import errors

catalog = CatalogService.from_environment()
app = RestApi()


@app.post(
    "/admin/portals/<portalId>/credit-tokens",
    operation_id="issueCreditTokens",
    tags=["catalog"],
    responses=errors(400, 401, 403, 404),
)
def issue_credit_tokens(portalId: PortalId, body: Annotated[CreditTokensBody, Body()]) -> CreditTokensIssued:
    """Issue single-use credit tokens for a learning object (all or none)."""
    return catalog.issue_credit_tokens(app.claims, portalId, body)


lambda_handler = app.handler()
