"""The OpenAPI document is generated from the handlers' models and kept current."""

from __future__ import annotations

import json
import re

from planhub_local.openapi import build, render
from planhub_local.template import REPO, Template

DOCUMENT = REPO / "docs" / "openapi.json"


def test_the_committed_openapi_document_is_current() -> None:
    assert DOCUMENT.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"


def _shape(path: str) -> str:
    """A path with its variables unnamed: the template may name a level's variable as its
    siblings do (API Gateway's rule) while the handler and the document keep their own name."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_route_of_the_template_is_documented() -> None:
    documented = {
        (method.upper(), _shape(path))
        for path, operations in json.loads(DOCUMENT.read_text())["paths"].items()
        for method in operations
    }

    for route in Template().routes():
        assert (route.method, _shape(route.path)) in documented, f"{route.method} {route.path} is not documented"


def test_validation_errors_are_documented_as_400_not_422() -> None:
    document = build()

    for operations in document["paths"].values():
        for operation in operations.values():
            assert "422" not in operation["responses"]


def test_every_operation_documents_its_success_answer() -> None:
    document = build()

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert any(code.startswith("2") for code in operation["responses"]), f"{method.upper()} {path}"
