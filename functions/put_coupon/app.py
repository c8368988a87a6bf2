"""PUT /admin/coupons/{code}: create or replace a coupon (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import CouponBody
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import CouponCode
from planhub.http.responses import errors
from planhub.records.coupon import Coupon

catalog = CatalogService.from_environment()
app = RestApi()


@app.put("/admin/coupons/<code>", operation_id="putCoupon", tags=["catalog"], responses=errors(400, 401, 403, 404))
def put_coupon(code: CouponCode, body: Annotated[CouponBody, Body()]) -> Coupon:
    """Create or replace a coupon; its use count is kept."""
    return catalog.put_coupon(app.claims, code, body)


lambda_handler = app.handler()
