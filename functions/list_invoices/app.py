"""GET /invoices: the caller's invoices, or a subscription's; filters subscription and status."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from planhub.billing.models import InvoiceDocument, InvoiceStatus
from planhub.billing.records import BillingRecords
from planhub.http import RestApi
from planhub.http.responses import errors

records = BillingRecords.from_environment()
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.get("/invoices", operation_id="listInvoices", tags=["billing"], responses=errors(400, 401, 403, 404))
def list_invoices(
    *,
    subscription: Annotated[
        str | None,
        Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$", description="Only this subscription's"),
    ] = None,
    status: Annotated[InvoiceStatus | None, Query(description="Only invoices in this status")] = None,
    user: Annotated[
        str | None,
        Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$", description="Admins: this user's"),
    ] = None,
    size: Annotated[int, Query(ge=1, le=200, description="Per page")] = 50,
    page: Annotated[int, Query(ge=0, le=1_000_000, description="1-based page number (0 reads as 1)")] = 1,
    sort: Annotated[str, Query(max_length=20, description="created, or -created (newest first)")] = "-created",
    api_key: ApiKey = None,
) -> list[InvoiceDocument]:
    """A page of invoices, newest first by default."""
    return records.invoices(
        app.claims, api_key, subscription=subscription, status=status, user_id=user, size=size, page=page, sort=sort
    )


lambda_handler = app.handler()
