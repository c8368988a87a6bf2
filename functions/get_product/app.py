"""GET /admin/products/{productId}: read a product (staff only)."""

from planhub.catalog.models import Product
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.responses import errors

catalog = CatalogService.from_environment()
app = RestApi()


@app.get("/admin/products/<productId>", tags=["catalog"], responses=errors(401, 403, 404))
def get_product(productId: str) -> Product:
    """Read a product."""
    return catalog.get_product(app.claims, productId)


lambda_handler = app.handler()
