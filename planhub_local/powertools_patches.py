"""Powertools' REST resolver keeps the request being handled on a class attribute
(`BaseRouter.current_event`), which is right on Lambda, where a process serves one request
at a time. The local stack serves concurrent requests from threads of one process, so
there the current event is kept per thread. Each request runs on one thread from start to
end, and each function container has its own resolver, so nothing else is shared.
"""

from __future__ import annotations

import threading
from typing import Any

_applied = False


def apply() -> None:
    global _applied  # noqa: PLW0603 - patch the process once
    if _applied:
        return
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver

    per_thread = threading.local()
    to_proxy_event = APIGatewayRestResolver._to_proxy_event

    def thread_proxy_event(self: Any, event: dict[str, Any]) -> Any:
        per_thread.event = to_proxy_event(self, event)
        return per_thread.event

    APIGatewayRestResolver._to_proxy_event = thread_proxy_event  # type: ignore[method-assign]
    APIGatewayRestResolver.current_event = property(lambda _: per_thread.event)  # type: ignore[assignment,method-assign]
    _applied = True
