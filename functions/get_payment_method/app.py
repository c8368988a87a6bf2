"""GET /payment_methods/{method_id}: read one of your payment methods."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.payments.methods import PaymentMethodDocument, PaymentMethodService

methods = PaymentMethodService.from_environment()
app = RestApi()


@app.get("/payment_methods/<method_id>", tags=["payment methods"], responses=errors(401, 403, 404))
def get_payment_method(
    method_id: str,
    api_key: Annotated[
        str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")
    ] = None,
) -> PaymentMethodDocument:
    """Read a payment method; someone else's, or a deleted one, is not found."""
    return methods.get(app.claims, api_key, method_id)


lambda_handler = app.handler()
