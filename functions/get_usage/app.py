"""GET /api/usage: a client's billable usage totals for a month (staff, or the client itself)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from planhub.commercial.metering import Metering, UsageAnswer
from planhub.http import ErrorStyle, RestApi
from planhub.http.responses import DetailedError, errors
from planhub.id_rules import ID_MAX_LENGTH, ID_PATTERN

metering = Metering.from_environment()
app = RestApi(ErrorStyle.ERROR)


@app.get(
    "/api/usage",
    operation_id="getUsage",
    tags=["plan plays"],
    responses=errors(400, 401, 403, 404, model=DetailedError),
)
def get_usage(
    clientId: Annotated[
        str | None,
        Query(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN, description="Defaults to the token's"),
    ] = None,
    period: Annotated[
        str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (UTC); defaults to this month")
    ] = None,
) -> UsageAnswer:
    """Creates, completions, activities and credits consumed by a client in a month."""
    return metering.usage(app.claims, clientId, period)


lambda_handler = app.handler()
