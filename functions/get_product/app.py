"""GET /admin/products/{productId}: read a product (staff only)."""

from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import ProductId
from planhub.http.responses import errors
from planhub.records.company import Product

catalog = CatalogService.from_environment()
app = RestApi()


@app.get("/admin/products/<productId>", operation_id="getProduct", tags=["catalog"], responses=errors(401, 403, 404))
def get_product(productId: ProductId) -> Product:
    """Read a product."""
    return catalog.get_product(app.claims, productId)


lambda_handler = app.handler()
