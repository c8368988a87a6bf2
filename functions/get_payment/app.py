"""GET /payments/{payment_id}: one payment (its payer's, or any of the company's for admins)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from planhub.billing.models import PaymentDocument
from planhub.billing.records import BillingRecords
from planhub.http import RestApi
from planhub.http.responses import errors

records = BillingRecords.from_environment()
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.get("/payments/<payment_id>", operation_id="getPayment", tags=["billing"], responses=errors(401, 403, 404))
def get_payment(
    payment_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")],
    api_key: ApiKey = None,
) -> PaymentDocument:
    """Reads a payment; anyone but its payer and the company's admins gets 404."""
    return records.payment(app.claims, api_key, payment_id)


lambda_handler = app.handler()
