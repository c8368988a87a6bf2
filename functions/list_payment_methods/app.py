"""GET /payment_methods: one page of your payment methods, newest (your default) first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.payments.methods import PaymentMethodDocument, PaymentMethodService

methods = PaymentMethodService.from_environment()
app = RestApi()


@app.get("/payment_methods", tags=["payment methods"], responses=errors(400, 401, 403))
def list_payment_methods(
    size: Annotated[int, Query(ge=1, le=200, description="Methods per page")] = 50,
    page: Annotated[int, Query(ge=0, le=10_000, description="1-based page number (0 reads as 1)")] = 1,
    sort: Annotated[str | None, Query(max_length=20, description="created or -created (default)")] = None,
    sorting: Annotated[str | None, Query(max_length=20, description="Alias of sort (section 7's name)")] = None,
    api_key: Annotated[
        str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")
    ] = None,
) -> list[PaymentMethodDocument]:
    """Your live payment methods; deleted ones are not listed."""
    return methods.list(app.claims, api_key, size=size, page=page, sorting=sort or sorting or "-created")


lambda_handler = app.handler()
