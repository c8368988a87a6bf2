"""PUT /admin/companies/{companyId}: create or replace a company (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import CompanyBody
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import CompanyId
from planhub.http.responses import errors
from planhub.records.company import Company

catalog = CatalogService.from_environment()
app = RestApi()


@app.put(
    "/admin/companies/<companyId>", operation_id="putCompany", tags=["catalog"], responses=errors(400, 401, 403, 409)
)
def put_company(companyId: CompanyId, body: Annotated[CompanyBody, Body()]) -> Company:
    """Create or replace a company; its API keys are stored as SHA-256 fingerprints."""
    return catalog.put_company(app.claims, companyId, body)


lambda_handler = app.handler()
