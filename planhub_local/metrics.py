"""Each invocation has Powertools Metrics of its own, emptied when it ends.

On Lambda a container runs one invocation at a time and its Metrics are its own: built with
its function's namespace and service, flushed and cleared at the end of each invocation.
Locally every function shares one process, so one `planhub.observability.metrics` (and
Powertools keeps its metric set at class level besides), and invocations run in parallel
threads. With POWERTOOLS_METRICS_DISABLED (the local default) nothing is ever flushed nor
cleared, so:

- the set grew for the life of the process (`make local` held every metric ever added);
- at the 100th value of one metric, Powertools' own overflow flush serialized the set in
  the middle of some later invocation: with no namespace (the shared Metrics may be built
  outside any function's environment, by a test importing the layer) that raised
  SchemaValidationError, and with one it iterated the set while other threads added to it
  (`dictionary changed size during iteration`). Either way a random request (the
  authorizer's 100th refusal, a plan-play create's metering) answered 500.

`install()` (done once by `stack.configure_process`) makes the metric, dimension and
metadata sets, the namespace and the service of every Powertools EMF provider per-context:
inside `invocation(environment)` (each function invocation) they are the invocation's own,
fresh, with the function's POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME (read in
its own environment), and dropped when it ends; outside (tests driving Metrics directly) they are the provider's
process-wide ones, as in Powertools.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

# Provider attributes that belong to one invocation. `dimension_sets` is a list, the rest dicts.
_PER_INVOCATION = ("metric_set", "dimension_set", "dimension_sets", "metadata_set", "namespace", "service")

_NAMESPACE_VARIABLE = "POWERTOOLS_METRICS_NAMESPACE"
_SERVICE_VARIABLE = "POWERTOOLS_SERVICE_NAME"


def _process_value(provider: Any, name: str) -> Any:
    """The provider's own (process-wide) value, whether it was set before or after `install()`."""
    own = provider.__dict__
    return own.get(f"_process_{name}", own.get(name))


class _Invocation:
    """One invocation's metrics, per provider (lazily: most invocations add none)."""

    def __init__(self) -> None:
        self.providers: dict[int, dict[str, Any]] = {}

    def state(self, provider: Any) -> dict[str, Any]:
        state = self.providers.get(id(provider))
        if state is None:
            # First touched inside the invocation: os.environ is the function's own view here.
            state = {
                "metric_set": {},
                "dimension_set": {
                    key: str(value) for key, value in (provider.__dict__.get("default_dimensions") or {}).items()
                },
                "dimension_sets": [],
                "metadata_set": {},
                "namespace": os.environ.get(_NAMESPACE_VARIABLE) or _process_value(provider, "namespace"),
                "service": os.environ.get(_SERVICE_VARIABLE) or _process_value(provider, "service"),
            }
            self.providers[id(provider)] = state
        return state


_current: ContextVar[_Invocation | None] = ContextVar("planhub_local_invocation_metrics", default=None)


def _attribute(name: str) -> property:
    process_name = f"_process_{name}"

    def get(provider: Any) -> Any:
        invocation = _current.get()
        if invocation is None:
            return _process_value(provider, name)
        return invocation.state(provider)[name]

    def set_(provider: Any, value: Any) -> None:
        invocation = _current.get()
        if invocation is None:
            provider.__dict__[process_name] = value
        else:
            invocation.state(provider)[name] = value

    return property(get, set_)


def install() -> None:
    """Makes every EMF provider's sets, namespace and service per-invocation, once per process."""
    if isinstance(AmazonCloudWatchEMFProvider.__dict__.get("metric_set"), property):
        return
    for name in _PER_INVOCATION:
        setattr(AmazonCloudWatchEMFProvider, name, _attribute(name))


@contextmanager
def invocation() -> Iterator[None]:
    """While the block runs (in this thread or task), Metrics hold this invocation's metrics only."""
    install()
    token = _current.set(_Invocation())
    try:
        yield
    finally:
        _current.reset(token)
