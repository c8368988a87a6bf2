"""`/docs` on `make local`: Swagger UI over the API's OpenAPI document.

The page and its script are ours; Swagger UI's assets come from the pinned PyPI package
`swagger-ui-bundle` (requirements-dev.txt), served from `/docs/assets/`, so the page needs
no network beyond the local server (no CDN). `/docs/openapi.json` is docs/openapi.json (a
test keeps it equal to what the handlers generate) with its server set to the address the
page was loaded from, so "Try it out" calls the running stack whatever its port.
"""

from __future__ import annotations

import functools
import json
import mimetypes
from pathlib import Path

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


def document(host: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(DOCUMENT.read_text())
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
