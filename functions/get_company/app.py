"""GET /admin/companies/{companyId}: read a company (staff only)."""

from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import CompanyId
from planhub.http.responses import errors
from planhub.records.company import Company

catalog = CatalogService.from_environment()
app = RestApi()


@app.get("/admin/companies/<companyId>", operation_id="getCompany", tags=["catalog"], responses=errors(401, 403, 404))
def get_company(companyId: CompanyId) -> Company:
    """Read a company."""
    return catalog.get_company(app.claims, companyId)


lambda_handler = app.handler()
