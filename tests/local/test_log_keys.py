"""Overlapping invocations' log lines carry their own keys (function name, request id).

Every function has the same service, so locally they share one Logger and one formatter;
on Lambda one container runs one invocation at a time, so the keys `inject_lambda_context`
appends are that invocation's. Two functions are held inside their handlers at the same time
here: before the fix, the first one's line named the second function."""

from __future__ import annotations

import contextlib
import json
import textwrap
import threading
import uuid
from pathlib import Path

import pytest

from planhub_local.stack import FunctionRuntime, forget_warm_containers
from planhub_local.template import Function

# The handler logs once it has appended its keys and once more after the other function
# has appended its own: the barrier (shared through the `tests` module) holds both inside.
CODE = textwrap.dedent(
    """
    from planhub.observability import logger
    from tests.local.test_log_keys import BARRIER


    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event, context):
        BARRIER.wait(timeout=10)
        BARRIER.wait(timeout=10)
        logger.info("handled %s", event["n"])
        if event.get("fail"):
            raise RuntimeError("failed on purpose")
        return "ok"
    """
)

BARRIER = threading.Barrier(2)


def _function(tmp_path: Path, logical_id: str, service: str) -> Function:
    folder = tmp_path / logical_id
    folder.mkdir()
    (folder / "app.py").write_text(CODE)
    return Function(logical_id, folder, "app.lambda_handler", {"POWERTOOLS_SERVICE_NAME": service}, timeout=10)


def _functions_of_one_service(tmp_path: Path, *names: str) -> tuple[str, FunctionRuntime]:
    """A runtime of `LogKeys<name>Function` for each name, all of one fresh service (as every
    planhub function is), and that service."""
    service = f"svc-shared-{uuid.uuid4().hex[:8]}"
    functions = [_function(tmp_path, f"LogKeys{name}Function", service) for name in names]
    return service, FunctionRuntime({f.logical_id: f for f in functions})


def _overlapping(runtime: FunctionRuntime, calls: list[tuple[str, dict[str, object]]]) -> None:
    BARRIER.reset()
    threads = [
        threading.Thread(target=lambda c=call: _invoke_quietly(runtime, *c))
        for call in calls  # type: ignore[misc]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def _invoke_quietly(runtime: FunctionRuntime, logical_id: str, event: dict[str, object]) -> None:
    with contextlib.suppress(RuntimeError):  # the failing one: its report is what the test reads
        runtime.invoke(logical_id, event)


def test_overlapping_invocations_log_their_own_function_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two functions of one service
    service, runtime = _functions_of_one_service(tmp_path, "First", "Second")

    # When both are inside their handlers at the same time
    _overlapping(runtime, [("LogKeysFirstFunction", {"n": 1}), ("LogKeysSecondFunction", {"n": 2})])

    # Then each line names its own function
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    named = {line["message"]: str(line["function_name"]) for line in lines if line.get("service") == service}
    assert named["handled 1"].endswith("LogKeysFirstFunction")
    assert named["handled 2"].endswith("LogKeysSecondFunction")
    forget_warm_containers()


def test_a_failure_report_shows_the_failed_invocations_own_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a failing function and another of the same service running at the same time
    _, runtime = _functions_of_one_service(tmp_path, "Failing", "Other")

    # When the failing one raises while the other is inside its handler
    _overlapping(runtime, [("LogKeysFailingFunction", {"n": 7, "fail": True}), ("LogKeysOtherFunction", {"n": 8})])

    # Then its reported line names the failing function, not the other one
    report = capsys.readouterr().err
    assert "LogKeysFailingFunction raised RuntimeError" in report
    [line] = [json.loads(text.strip()) for text in report.splitlines() if '"handled 7"' in text]
    assert str(line["function_name"]).endswith("LogKeysFailingFunction")
    forget_warm_containers()
