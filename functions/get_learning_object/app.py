"""GET /admin/los/{loId}: read a learning object (staff only)."""

from planhub.catalog.service import CatalogService
from planhub.http import RestApi
from planhub.http.params import LoId
from planhub.http.responses import errors
from planhub.records.learning_object import LearningObject

catalog = CatalogService.from_environment()
app = RestApi()


@app.get("/admin/los/<loId>", operation_id="getLearningObject", tags=["catalog"], responses=errors(401, 403, 404))
def get_learning_object(loId: LoId) -> LearningObject:
    """Read a learning object."""
    return catalog.get_learning_object(app.claims, loId)


lambda_handler = app.handler()
