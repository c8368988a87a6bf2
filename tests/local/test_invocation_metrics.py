"""Each invocation's Powertools Metrics are its own and dropped when it ends (metrics are
disabled locally, so Powertools never flushes nor clears them): nothing accumulates, and no
request answers 500 because earlier or concurrent invocations added metrics."""

from __future__ import annotations

import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from planhub_local.gateway import Gateway
from planhub_local.stack import FunctionRuntime, LocalStack, forget_warm_containers
from planhub_local.template import Function


@pytest.mark.parametrize("threads", [1, 12])
def test_refusals_beyond_powertools_hundred_metric_values_still_answer_401(
    stack: LocalStack, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The authorizer counts each 401 refusal. Held across invocations, the 100th value of the
    # metric made Powertools serialize the set in the middle of a request, which raised when the
    # layer's shared Metrics had been built outside any function's environment (a test or a
    # fixture importing the layer first: no namespace), and that refusal answered 500.
    from planhub.observability import metrics

    monkeypatch.setattr(metrics, "namespace", None)  # as when a test imported the layer first
    gateway = Gateway(stack)

    def refused(_: int) -> int:
        return gateway.handle("GET", "/plans", {"Authorization": "Bearer not-a-token"}).status

    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = list(pool.map(refused, range(150)))

    assert set(statuses) == {401}
    assert "TokensRefused" not in metrics.provider.metric_set  # nothing kept after the invocations


# Two functions, each with Powertools Metrics of its own (whose metric set Powertools keeps at
# class level, shared), adding metrics under many names: as plan-play creates meter activities.
FUNCTION = textwrap.dedent(
    """
    from aws_lambda_powertools.metrics import Metrics, MetricUnit

    metrics = Metrics()


    @metrics.log_metrics
    def lambda_handler(event, context):
        for i in range(event["count"]):
            metrics.add_metric(name=f"Metric{(event['n'] + i) % 40}", unit=MetricUnit.Count, value=1)
        return {"names": sorted(metrics.provider.metric_set), "namespace": metrics.namespace}
    """
)


@pytest.fixture
def fast_thread_switches() -> Iterator[None]:
    """Threads switch often, so a race shows within a few hundred invocations."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_concurrent_invocations_adding_metrics_never_fail_and_keep_only_their_own(
    tmp_path: Path, fast_thread_switches: None
) -> None:
    functions = []
    for logical_id in ("MetricsTestAlphaFunction", "MetricsTestBetaFunction"):
        folder = tmp_path / logical_id
        folder.mkdir()
        (folder / "app.py").write_text(FUNCTION)
        environment = {"POWERTOOLS_METRICS_NAMESPACE": f"ns-{logical_id}", "POWERTOOLS_SERVICE_NAME": logical_id}
        functions.append(Function(logical_id, folder, "app.lambda_handler", environment, timeout=10))
    runtime = FunctionRuntime({f.logical_id: f for f in functions})
    start = threading.Barrier(12, timeout=120)

    def call(n: int) -> tuple[int, dict[str, object], str]:
        logical_id = functions[n % 2].logical_id
        if n < 12:
            start.wait()
        return n, runtime.invoke(logical_id, {"n": n, "count": 3}), logical_id

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(call, range(1200)))
    finally:
        forget_warm_containers()

    for n, answer, logical_id in answers:
        assert answer == {"names": sorted(f"Metric{(n + i) % 40}" for i in range(3)), "namespace": f"ns-{logical_id}"}
