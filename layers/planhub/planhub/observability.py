"""Logger, Tracer and Metrics, configured once per function from POWERTOOLS_* variables.

The handler wrapper (`planhub.http.api.RestApi.lambda_handler`, and `instrumented` for
event consumers) injects the Lambda context and the request id into every log line.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def event_consumer(handler: Any) -> Any:
    """Wraps an EventBridge-triggered handler: the domain event's id on every log line."""
    return logger.inject_lambda_context(correlation_id_path="detail.id", clear_state=True)(
        tracer.capture_lambda_handler(metrics.log_metrics(handler))
    )
