"""HTTP: the resolver endpoints share, and the mapping from domain errors to answers."""

from planhub.http.api import RestApi
from planhub.http.errors import ErrorStyle

__all__ = ["ErrorStyle", "RestApi"]
