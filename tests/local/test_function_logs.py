"""A function's log lines name its own service (POWERTOOLS_SERVICE_NAME), as on AWS, although
every function shares the process and the layer's `planhub.observability`, imported here
outside any function before any of them runs."""

from __future__ import annotations

import io
import json
import textwrap
import uuid
from pathlib import Path

import pytest

import planhub.observability  # noqa: F401 - imported outside any function, as a test or a tool does
from planhub.observability import logger
from planhub_local import environ
from planhub_local.client import Api
from planhub_local.stack import FunctionRuntime, forget_warm_containers
from planhub_local.template import Function, Template
from tests.conftest import Catalog

CODE = textwrap.dedent(
    """
    from planhub.observability import logger


    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event, context):
        logger.info("handled %s", event["n"])
        if event.get("fail"):
            raise RuntimeError("failed on purpose")
        return "ok"
    """
)


def _function(tmp_path: Path, logical_id: str, service: str) -> Function:
    folder = tmp_path / logical_id
    folder.mkdir()
    (folder / "app.py").write_text(CODE)
    return Function(logical_id, folder, "app.lambda_handler", {"POWERTOOLS_SERVICE_NAME": service}, timeout=10)


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_each_functions_log_lines_name_its_own_service(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alpha, beta = (f"svc-{name}-{uuid.uuid4().hex[:8]}" for name in ("alpha", "beta"))
    functions = [_function(tmp_path, "LogTestAlphaFunction", alpha), _function(tmp_path, "LogTestBetaFunction", beta)]
    runtime = FunctionRuntime({f.logical_id: f for f in functions})

    for n in range(4):
        runtime.invoke(functions[n % 2].logical_id, {"n": n})

    logged = {(line["message"], line["service"], line["function_name"]) for line in _lines(capsys.readouterr().out)}
    assert {(f"handled {n}", alpha if n % 2 == 0 else beta) for n in range(4)} == {
        (message, service) for message, service, _ in logged
    }
    assert all(str(name).endswith("LogTestAlphaFunction") == (service == alpha) for _, service, name in logged)
    forget_warm_containers()


def test_a_failed_invocations_reported_log_names_its_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = f"svc-failing-{uuid.uuid4().hex[:8]}"
    failing = _function(tmp_path, "LogTestFailingFunction", service)
    runtime = FunctionRuntime({failing.logical_id: failing})

    with pytest.raises(RuntimeError):
        runtime.invoke(failing.logical_id, {"n": 7, "fail": True})

    report = capsys.readouterr().err
    assert "LogTestFailingFunction raised RuntimeError" in report
    [line] = [json.loads(text.strip()) for text in report.splitlines() if text.strip().startswith("{")]
    assert (line["message"], line["service"]) == ("handled 7", service)
    forget_warm_containers()


def test_every_function_has_a_service_name_in_the_template() -> None:
    functions = Template.default().functions().values()
    services = {f.logical_id: f.environment.get("POWERTOOLS_SERVICE_NAME") for f in functions}

    assert all(services.values()), sorted(k for k, v in services.items() if not v)


def test_a_routes_log_line_names_the_templates_service(api: Api, given: Catalog) -> None:
    given.portal()
    service = Template.default().functions()["GetPortalFunction"].environment["POWERTOOLS_SERVICE_NAME"]
    with environ.running({"POWERTOOLS_SERVICE_NAME": service}):
        handler = logger.registered_handler
    captured = io.StringIO()
    previous = handler.setStream(captured)  # type: ignore[attr-defined]
    try:
        answer = api.get("/admin/portals/p-missing", token=given.staff)
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]

    assert answer.status == 404
    [refused] = [line for line in _lines(captured.getvalue()) if line["message"] == "request refused"]
    assert refused["service"] == service != "service_undefined"
    assert str(refused["function_name"]).endswith("GetPortalFunction")
