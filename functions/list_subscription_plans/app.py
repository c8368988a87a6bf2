"""GET /plans: one page of your company's subscription plans, sorted."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from planhub.http import RestApi
from planhub.http.responses import errors
from planhub.subscriptions.models import PlanDocument
from planhub.subscriptions.service import SubscriptionPlanService

plans = SubscriptionPlanService.from_environment()
app = RestApi()


@app.get("/plans", operation_id="listSubscriptionPlans", tags=["subscription plans"], responses=errors(400, 401, 403))
def list_subscription_plans(
    size: Annotated[int, Query(ge=1, le=200, description="Plans per page")] = 50,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")] = 1,
    sorting: Annotated[
        str,
        Query(
            max_length=20,
            pattern=r"^-?(created|updated|name|total_amount)$",
            description="created, updated, name or total_amount; a leading - for descending",
        ),
    ] = "-created",
    include_deleted: Annotated[bool, Query(description="List deleted plans too")] = False,
    api_key: Annotated[
        str | None, Header(alias="X-Share-Api-Key", description="One of your company's API keys")
    ] = None,
) -> list[PlanDocument]:
    """Admins see every plan of the company; other users the basic plans and their own order plans."""
    return plans.list(app.claims, api_key, size=size, page=page, sorting=sorting, include_deleted=include_deleted)


lambda_handler = app.handler()
