"""DELETE /payment_methods/{method_id}: delete a payment method (softly: kept, marked deleted)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.payments.methods import PaymentMethodService

methods = PaymentMethodService.from_environment()
app = RestApi()


@app.delete("/payment_methods/<method_id>", tags=["payment methods"], responses=errors(401, 403, 404, 409, success=204))
def delete_payment_method(
    method_id: str,
    api_key: Annotated[
        str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")
    ] = None,
) -> Response[None]:
    """Delete a payment method: 204; 409 while an active subscription pays with it."""
    methods.delete(app.claims, api_key, method_id)
    return Response(status_code=204)


lambda_handler = app.handler()
