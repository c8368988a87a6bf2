"""GET /admin/coupons/{code}: read a coupon (staff only)."""

from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import CouponCode
from planhub.http.responses import errors
from planhub.records.coupon import Coupon

catalog = CatalogService.from_environment()
app = RestApi()


@app.get("/admin/coupons/<code>", operation_id="getCoupon", tags=["catalog"], responses=errors(401, 403, 404))
def get_coupon(code: CouponCode) -> Coupon:
    """Read a coupon with its use count."""
    return catalog.get_coupon(app.claims, code)


lambda_handler = app.handler()
