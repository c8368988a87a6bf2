"""PUT /admin/los/{loId}: create or replace a learning object (staff only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from planhub.catalog.models import LearningObjectBody
from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import LoId
from planhub.http.responses import errors
from planhub.records.learning_object import LearningObject

catalog = CatalogService.from_environment()
app = RestApi()


@app.put("/admin/los/<loId>", operation_id="putLearningObject", tags=["catalog"], responses=errors(400, 401, 403, 404))
def put_learning_object(loId: LoId, body: Annotated[LearningObjectBody, Body()]) -> LearningObject:
    """Create or replace a learning object."""
    return catalog.put_learning_object(app.claims, loId, body)


lambda_handler = app.handler()
