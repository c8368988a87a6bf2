"""POST /payment_methods: attach a card (a Stripe token) to a new Stripe customer of the caller."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.payments.methods import PaymentMethodBody, PaymentMethodDocument, PaymentMethodService

methods = PaymentMethodService.from_environment()
app = RestApi()


@app.post("/payment_methods", tags=["payment methods"], responses=errors(400, 401, 402, 403, 503))
def create_payment_method(
    body: Annotated[PaymentMethodBody, Body()],
    api_key: Annotated[
        str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")
    ] = None,
) -> PaymentMethodDocument:
    """Store a card as your newest (default) payment method; a card Stripe refuses is 402 with its message."""
    return methods.create(app.claims, api_key, body)


lambda_handler = app.handler()
