"""GET /users/{user_id}/subscriptions: one user's subscriptions (themselves, or admins)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from planhub.billing.models import SubscriptionDocument, SubscriptionStatus
from planhub.billing.service import SubscriptionService
from planhub.http import RestApi
from planhub.http.responses import errors

subscriptions = SubscriptionService.from_environment()
app = RestApi()
ApiKey = Annotated[str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")]


@app.get(
    "/users/<user_id>/subscriptions",
    operation_id="listUserSubscriptions",
    tags=["subscriptions"],
    responses=errors(400, 401, 403, 404),
)
def list_user_subscriptions(
    user_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@-]+$")],
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
    """A page of one user's subscriptions in one status (default ACTIVE); other users: 404 unless admin."""
    return subscriptions.list(
        app.claims,
        api_key,
        user_id=user_id,
        status=status,
        include_deleted=include_deleted,
        size=size,
        page=page,
        sort=sort,
    )


lambda_handler = app.handler()
