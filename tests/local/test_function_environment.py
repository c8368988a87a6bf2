"""Each function sees its own environment, at import and at request time, under any concurrency;
a failed invocation's log reaches stderr."""

from __future__ import annotations

import os
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from planhub_local.client import Api
from planhub_local.stack import FunctionRuntime, forget_warm_containers
from planhub_local.template import Function
from tests.conftest import Catalog

KEYS = ("TABLE_NAME", "ONLY_ALPHA", "ONLY_BETA", "WRITTEN_BY")

# A function that reads its environment at import, builds a boto3 client lazily at request time
# (botocore reads the environment then), writes a variable of its own and reads it all back.
FUNCTION = textwrap.dedent(
    """
    import os
    import time

    import boto3

    KEYS = {keys!r}
    AT_IMPORT = {{k: os.environ.get(k) for k in KEYS}}
    AT_IMPORT_TABLE = os.environ["TABLE_NAME"]


    def lambda_handler(event, context):
        os.environ["WRITTEN_BY"] = event["who"]
        boto3.client("sqs", region_name="us-east-1")
        time.sleep(0.001)
        return {{
            "import": AT_IMPORT,
            "request": {{k: os.environ.get(k) for k in KEYS}},
            "table": os.environ["TABLE_NAME"],
            "listed": sorted(k for k in dict(os.environ) if k in KEYS),
        }}
    """
).format(keys=KEYS)


def _function(tmp_path: Path, logical_id: str, environment: dict[str, str], code: str = FUNCTION) -> Function:
    folder = tmp_path / logical_id
    folder.mkdir()
    (folder / "app.py").write_text(code)
    return Function(logical_id, folder, "app.lambda_handler", environment, timeout=10)


def test_concurrent_functions_never_see_each_others_environment(tmp_path: Path) -> None:
    alpha = _function(tmp_path, "EnvTestAlphaFunction", {"TABLE_NAME": "alpha-table", "ONLY_ALPHA": "a"})
    beta = _function(tmp_path, "EnvTestBetaFunction", {"TABLE_NAME": "beta-table", "ONLY_BETA": "b"})
    runtime = FunctionRuntime({f.logical_id: f for f in (alpha, beta)})
    expected = {
        "EnvTestAlphaFunction": {"TABLE_NAME": "alpha-table", "ONLY_ALPHA": "a", "ONLY_BETA": None},
        "EnvTestBetaFunction": {"TABLE_NAME": "beta-table", "ONLY_ALPHA": None, "ONLY_BETA": "b"},
    }
    start = threading.Barrier(16, timeout=120)

    def call(n: int) -> tuple[str, Any]:
        logical_id = "EnvTestAlphaFunction" if n % 2 else "EnvTestBetaFunction"
        if n < 16:
            start.wait()  # the first 16 import at the same moment: cold starts side by side
        return logical_id, runtime.invoke(logical_id, {"who": logical_id})

    for _ in range(3):
        forget_warm_containers()
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(call, range(64)))
        for logical_id, answer in answers:
            own = expected[logical_id]
            assert {k: answer["import"][k] for k in own} == own
            assert answer["import"]["WRITTEN_BY"] is None
            assert answer["request"] == {**own, "WRITTEN_BY": logical_id}
            assert answer["table"] == own["TABLE_NAME"]
            assert answer["listed"] == sorted([k for k, v in own.items() if v] + ["WRITTEN_BY"])
    # Nothing a function set or was given leaked into the process environment.
    assert not {k for k in KEYS if k in os.environ}
    forget_warm_containers()


def test_a_failed_invocations_log_reaches_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = textwrap.dedent(
        """
        import logging
        import os

        log = logging.getLogger("envtest-service")


        def lambda_handler(event, context):
            log.warning("about to read %s", "MISSING_VARIABLE")
            return os.environ["MISSING_VARIABLE"]
        """
    )
    failing = _function(tmp_path, "EnvTestFailingFunction", {"POWERTOOLS_SERVICE_NAME": "envtest-service"}, code)
    runtime = FunctionRuntime({failing.logical_id: failing})

    with pytest.raises(KeyError):
        runtime.invoke(failing.logical_id, {})

    err = capsys.readouterr().err
    assert "EnvTestFailingFunction raised KeyError: 'MISSING_VARIABLE'" in err
    assert "about to read MISSING_VARIABLE" in err
    assert "Traceback" in err
    forget_warm_containers()


def test_cold_requests_to_many_functions_at_once_answer_no_5xx(api: Api, given: Catalog, staff_token: str) -> None:
    # What `make bench` met: cold starts of one function while another's client was being built.
    given.portal()
    given.learning_object("lo-1")
    paths = [
        ("GET", "/admin/portals/p-acme", None),
        ("GET", "/admin/los/lo-1", None),
        ("PUT", "/admin/companies/co-1", {"name": "co-1", "api_keys": []}),
        ("PUT", "/admin/clients/c-1", {"name": "c-1", "policy": {}}),
        ("GET", "/admin/clients/c-1", None),
    ]

    def call(n: int) -> int:
        method, path, body = paths[n % len(paths)]
        return api.request(method, path, body, token=staff_token).status

    for _ in range(2):
        forget_warm_containers()
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(call, range(36)))
        assert all(status < 500 for status in statuses), statuses


def test_an_authorizers_refusal_is_not_reported_as_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = "def lambda_handler(event, context):\n    raise Exception('Unauthorized')\n"
    authorizer = _function(tmp_path, "EnvTestRefusingFunction", {}, code)
    runtime = FunctionRuntime({authorizer.logical_id: authorizer})

    with pytest.raises(Exception, match="Unauthorized"):
        runtime.invoke(authorizer.logical_id, {})

    assert "EnvTestRefusingFunction" not in capsys.readouterr().err
    forget_warm_containers()
