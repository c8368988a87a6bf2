"""GET /invoices/{invoice_id}: one invoice (its payer's, or any of the company's for admins)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from planhub.billing.models import InvoiceDocument
from planhub.billing.records import BillingRecords
from planhub.http import RestApi
from planhub.http.responses import errors

records = BillingRecords.from_environment()
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.get("/invoices/<invoice_id>", operation_id="getInvoice", tags=["billing"], responses=errors(401, 403, 404))
def get_invoice(
    invoice_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")],
    api_key: ApiKey = None,
) -> InvoiceDocument:
    """Reads an invoice; anyone but its payer and the company's admins gets 404."""
    return records.invoice(app.claims, api_key, invoice_id)


lambda_handler = app.handler()
