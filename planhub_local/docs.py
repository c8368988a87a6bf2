"""`/docs` on `make local`: Swagger UI over the API's OpenAPI document.

The page and its script are ours; Swagger UI's assets come from the pinned PyPI package
`swagger-ui-bundle` (requirements-dev.txt), served from `/docs/assets/`, so the page needs
no network beyond the local server (no CDN). `/docs/openapi.json` is docs/openapi.json (a
test keeps it equal to what the handlers generate) with its server set to the address the
page was loaded from, so "Try it out" calls the running stack whatever its port.

The package's Swagger UI (4.15) reads OpenAPI 3.0 and refuses the generated document's
3.1, so the page gets the document in 3.0 terms (`as_openapi_30`): `anyOf` with `null`
becomes `nullable`, `const` a one-value `enum`, numeric `exclusiveMinimum`/`Maximum` the
3.0 pair. docs/openapi.json itself stays 3.1.
"""

from __future__ import annotations

import functools
import json
import mimetypes
from pathlib import Path
from typing import Any

from planhub_local.template import REPO

DOCUMENT = REPO / "docs" / "openapi.json"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>planhub API (local)</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/docs/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "BaseLayout"
    });
  </script>
</body>
</html>
"""

Answer = tuple[int, dict[str, str], bytes]


@functools.cache
def assets() -> dict[str, Path]:
    """Swagger UI's files, by name, from the installed package."""
    from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

    folder = Path(str(swagger_ui_path))
    return {p.name: p for p in folder.iterdir() if p.is_file() and p.suffix in {".js", ".css", ".png", ".map"}}


def _schema_30(value: Any) -> Any:
    if isinstance(value, list):
        return [_schema_30(v) for v in value]
    if not isinstance(value, dict):
        return value
    schema = {k: _schema_30(v) for k, v in value.items() if k != "properties"}
    if isinstance(value.get("properties"), dict):  # names of fields, not schema keywords
        schema["properties"] = {name: _schema_30(field) for name, field in value["properties"].items()}
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        others = [o for o in options if o != {"type": "null"}]
        del schema["anyOf"]
        if len(others) == 1 and "$ref" not in others[0]:
            schema = {**others[0], **schema}
        else:
            schema["allOf" if len(others) == 1 else "anyOf"] = others
        schema["nullable"] = True
    if "const" in schema:
        schema["enum"] = [schema.pop("const")]
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(schema.get(bound), int | float) and not isinstance(schema.get(bound), bool):
            schema[limit] = schema[bound]
            schema[bound] = True
    return schema


def as_openapi_30(document: dict[str, Any]) -> dict[str, Any]:
    """The 3.1 document in the OpenAPI 3.0 terms Swagger UI 4 reads (see the module's docstring)."""
    converted: dict[str, Any] = _schema_30(document)
    converted["openapi"] = "3.0.3"
    return converted


def document(host: str) -> dict[str, Any]:
    loaded = as_openapi_30(json.loads(DOCUMENT.read_text()))
    if host:
        loaded["servers"] = [{"url": f"http://{host}", "description": "this make local"}]
    return loaded


def serve(method: str, path: str, host: str) -> Answer | None:
    """The answer to a /docs request, or None when the path is not one of ours (a 404 then)."""
    if method not in ("GET", "HEAD"):
        return None
    if path in ("/docs", "/docs/"):
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.encode()
    if path == "/docs/openapi.json":
        return 200, {"Content-Type": "application/json"}, json.dumps(document(host)).encode()
    name = path.removeprefix("/docs/assets/")
    found = assets().get(name) if path.startswith("/docs/assets/") else None
    if found is None:
        return 404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}'
    kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    return 200, {"Content-Type": kind, "Cache-Control": "max-age=3600"}, found.read_bytes()
