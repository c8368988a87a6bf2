"""GET /admin/audit/{day}: one day's catalog changes, newest first (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from planhub.catalog.models import AuditPage
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.responses import errors

catalog = CatalogService.from_environment()
app = RestApi()


@app.get("/admin/audit/<day>", operation_id="listCatalogAudit", tags=["catalog"], responses=errors(400, 401, 403))
def list_catalog_audit(
    day: Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$", description="UTC day, YYYY-MM-DD")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AuditPage:
    """Who changed what in the catalog on `day`; pass `cursor` back for the next page."""
    return catalog.list_audit(app.claims, day, limit, cursor)


lambda_handler = app.handler()
