"""Logger, Tracer and Metrics, configured once per function from POWERTOOLS_* variables.

`logger` is the Powertools Logger of the running function's service (POWERTOOLS_SERVICE_NAME,
set for every function in template.yaml's Globals), built on first use in that function's
environment: on Lambda a process is one function's, so it is one Logger, the one `Logger()` at
import would be. Locally every function shares one process and this module, which a test or a
tool may import outside any function: a Logger built at import took the environment of whoever
imported it first, and every function's log lines said `"service":"service_undefined"`.

The handler wrapper (`planhub.http.api.RestApi.lambda_handler`, and `event_consumer` for
event consumers) injects the Lambda context and the request id into every log line.

The X-Ray SDK costs 100-300 ms of import (benchmarks/cold_start.py), and Powertools'
Tracer imports it even when tracing is off. So the Tracer is built only where it will
trace: on Lambda, with POWERTOOLS_TRACE_DISABLED unset, the same conditions under which
Powertools itself would trace. Elsewhere (the local stack, the tests, sam local) handlers
run unwrapped and the SDK is never loaded.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.tracing import Tracer

Handler = TypeVar("Handler", bound=Callable[..., Any])

_SERVICE_VARIABLE = "POWERTOOLS_SERVICE_NAME"


class _ServiceLogger:
    """Answers for the Logger of the service named in the environment of the caller (see above)."""

    def __init__(self) -> None:
        self._loggers: dict[str, Logger] = {}
        self._lock = threading.Lock()

    def current(self) -> Logger:
        service = os.environ.get(_SERVICE_VARIABLE) or "service_undefined"  # Powertools' own default
        found = self._loggers.get(service)
        if found is None:
            with self._lock:
                found = self._loggers.get(service)
                if found is None:
                    found = self._loggers[service] = Logger(service=service)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)


logger = cast(Logger, _ServiceLogger())
metrics = Metrics()


def tracing_enabled() -> bool:
    """Whether Powertools' Tracer would trace here (its own rules, read without importing X-Ray)."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in {"1", "true", "yes", "on", "y"}
    in_lambda = bool(os.environ.get("LAMBDA_TASK_ROOT"))
    emulated = bool(os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated and not disabled


def _build_tracer() -> Tracer | None:
    if not tracing_enabled():
        return None
    from aws_lambda_powertools.tracing import Tracer

    return Tracer()


tracer = _build_tracer()


def traced(handler: Handler) -> Handler:
    """`tracer.capture_lambda_handler` where tracing is on; the handler itself elsewhere."""
    if tracer is None:
        return handler
    return cast(Handler, tracer.capture_lambda_handler(handler))


def event_consumer(handler: Any) -> Any:
    """Wraps an EventBridge-triggered handler: the domain event's id on every log line, and
    the invocation's deadline known to exactly-once processing (so a crashed attempt's claim
    on an event lapses when the invocation would have timed out, and a retry can run)."""

    def with_deadline(event: Any, context: Any) -> Any:
        idempotency = sys.modules.get("planhub.events.idempotency")  # only if the function uses it
        if idempotency is not None:
            idempotency.register_invocation(context)
        return handler(event, context)

    return logger.inject_lambda_context(correlation_id_path="detail.id", clear_state=True)(
        traced(metrics.log_metrics(with_deadline))
    )


def queue_consumer(consume: Callable[[Any, Any], Any]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A handler for an SQS event source whose messages are EventBridge events (a rule's
    queue target): each message's event goes to `consume` (an `event_consumer`); a message
    whose event raised is answered as a batch item failure (ReportBatchItemFailures), so the
    queue delivers it again, alone, and the others are done."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event.get("Records") or []:
            try:
                consume(json.loads(record["body"]), context)
            except Exception:  # the queue retries it, then dead-letters it
                logger.exception("a queued event failed; the queue will deliver it again")
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    return handler
