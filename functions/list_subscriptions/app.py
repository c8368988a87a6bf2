"""GET /subscriptions: admins see the company's subscriptions, others their own."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from planhub.billing.models import SubscriptionDocument, SubscriptionStatus
from planhub.billing.service import SubscriptionService
from planhub.http import RestApi
from planhub.http.responses import errors

subscriptions = SubscriptionService.from_environment()
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.get("/subscriptions", operation_id="listSubscriptions", tags=["subscriptions"], responses=errors(400, 401, 403))
def list_subscriptions(
    *,
    status: Annotated[
        SubscriptionStatus, Query(description="Only subscriptions in this status")
    ] = SubscriptionStatus.ACTIVE,
    include_deleted: Annotated[bool, Query(description="List deleted subscriptions too")] = False,
    size: Annotated[int, Query(ge=1, le=200, description="Subscriptions per page")] = 50,
    page: Annotated[int, Query(ge=0, le=1_000_000, description="1-based page number (0 reads as 1)")] = 1,
    sort: Annotated[str, Query(max_length=20, description="created, or -created (newest first)")] = "-created",
    api_key: ApiKey = None,
) -> list[SubscriptionDocument]:
    """A page of subscriptions in one status (default ACTIVE)."""
    return subscriptions.list(
        app.claims,
        api_key,
        user_id=None,
        status=status,
        include_deleted=include_deleted,
        size=size,
        page=page,
        sort=sort,
    )


lambda_handler = app.handler()
