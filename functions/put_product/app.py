"""PUT /admin/products/{productId}: create or replace a product (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import ProductBody
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import ProductId
from planhub.http.responses import errors
from planhub.records.company import Product

catalog = CatalogService.from_environment()
app = RestApi()


@app.put(
    "/admin/products/<productId>", operation_id="putProduct", tags=["catalog"], responses=errors(400, 401, 403, 404)
)
def put_product(productId: ProductId, body: Annotated[ProductBody, Body()]) -> Product:
    """Create or replace a product of a company."""
    return catalog.put_product(app.claims, productId, body)


lambda_handler = app.handler()
