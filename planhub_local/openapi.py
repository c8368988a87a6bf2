"""Generates the OpenAPI document of the whole API from the handlers' own models.

Every API function of template.yaml is imported as Lambda would import it; each one's
Powertools resolver describes its route, and Powertools' OpenAPIMerge joins them.
`make openapi` writes docs/openapi.json; a test fails when that file is stale.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer, Server

from planhub_local.stack import FunctionRuntime, configure_process
from planhub_local.template import Template

TITLE = "planhub"
VERSION = "1.0.0"
DESCRIPTION = (
    "planhub: learning plans, enrolments, plan plays under commercial controls, and subscription plans. "
    "Every request carries a JWT, as `Authorization: Bearer <jwt>` or as the `jwt` query parameter."
)
SECURITY_SCHEMES: dict[str, APIKey | HTTPBearer] = {
    "bearer": HTTPBearer(bearerFormat="JWT"),
    "jwtQuery": APIKey.model_validate({"name": "jwt", "in": APIKeyIn.query}),
}


def build() -> dict[str, Any]:
    configure_process()
    template = Template()
    runtime = FunctionRuntime(template.functions())
    merge = OpenAPIMerge(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        servers=[Server(url="http://127.0.0.1:3000", description="make local")],
        security_schemes=dict(SECURITY_SCHEMES),  # type: ignore[arg-type]
        security=[{"bearer": []}, {"jwtQuery": []}],
        on_conflict="error",
    )
    seen: set[str] = set()
    for route in template.routes():
        if route.function in seen:
            continue
        seen.add(route.function)
        module = runtime.module(route.function)
        merge.add_schema(module.app.get_openapi_schema(title=TITLE, version=VERSION))
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    return _validation_answers_400(_schema_bounds(document))


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _schema_bounds(node: Any) -> Any:
    """A field with a validator besides its bounds (`planhub.http.params.NumericId`, the money
    fields' decimals) comes out of Powertools with pydantic's `ge`/`le` instead of JSON
    Schema's `minimum`/`maximum`, which a client or fuzzer would ignore: state them in JSON
    Schema's words, as exact numbers."""
    if isinstance(node, list):
        return [_schema_bounds(item) for item in node]
    if not isinstance(node, dict):
        return node
    fixed = {key: _schema_bounds(value) for key, value in node.items()}
    for pydantic_name, json_name in _BOUNDS.items():
        bound = fixed.get(pydantic_name)
        if isinstance(bound, (int, float, str)) and not isinstance(bound, bool) and json_name not in fixed:
            try:
                number = float(bound) if isinstance(bound, str) else bound
            except ValueError:
                continue
            fixed.pop(pydantic_name)
            fixed[json_name] = int(number) if isinstance(number, float) and number.is_integer() else number
    return fixed


def _validation_answers_400(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools documents request validation as 422; planhub answers it with 400 in the
    route's own error shape (planhub.http.errors), so the document says that instead."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if responses.pop("422", None) is None or "400" in responses:
                continue
            errors = [r for code, r in responses.items() if code.startswith("4")]
            shape = errors[0]["content"] if errors else {"application/json": {"schema": {"$ref": _MESSAGE_ERROR}}}
            responses["400"] = {"description": "Invalid input; the message names the problem", "content": shape}
    schemas = document.get("components", {}).get("schemas", {})
    text = json.dumps(document.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"#/components/schemas/{unused}" not in text:
            schemas.pop(unused, None)
    return document


_MESSAGE_ERROR = "#/components/schemas/MessageError"


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
