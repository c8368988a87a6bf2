"""`/docs` in a real browser: headless Chromium loads Swagger UI from the local server and lists
every operation of the OpenAPI document. Skipped, with the reason, where Chromium is absent
(`.ci/run` installs Debian's `chromium`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from planhub_local.docs import DOCUMENT
from planhub_local.server import LocalApi, WsgiServer, make_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)"
)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    api = LocalApi()
    server = WsgiServer(make_app(api, access_log=lambda line: None), 0)
    server.start()
    try:
        yield server.port
    finally:
        server.stop()
        api.stop()


def test_the_docs_page_lists_every_operation_in_headless_chromium(port: int, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=20000",
        "--dump-dom",
        f"http://127.0.0.1:{port}/docs",
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False).stdout  # noqa: S603

    document = json.loads(DOCUMENT.read_text())
    expected = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    listed = set(re.findall(r'opblock-summary-method">([A-Z]+)</span>.*?data-path="([^"]+)"', dom.replace("\n", " ")))
    assert "Unable to render" not in dom
    assert listed == expected, f"missing: {sorted(expected - listed)[:5]}; DOM starts {dom[:300]!r}"
