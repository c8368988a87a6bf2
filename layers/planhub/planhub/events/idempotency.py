"""Exactly-once handling of delivered events (Powertools idempotency on planhub's table).

EventBridge delivers at least once and Lambda retries failed invocations, so a consumer
sees some events twice. Decorating its work with `exactly_once(...)` records the event's
domain id before and the outcome after; a second delivery answers the first outcome
without running the work again, and a crashed attempt may be retried once its in-progress
record expires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

F = TypeVar("F", bound=Callable[..., Any])

RETENTION_SECONDS = 7 * 24 * 3600  # longer than EventBridge's 24 h of retries

_configs: list[IdempotencyConfig] = []
_invocation: list[Any] = []  # the context of the invocation in progress (one per container)


def register_invocation(context: Any) -> None:
    """Tells every exactly-once config the current invocation's deadline (`event_consumer` does);
    configs built later in the same invocation learn it when they are built."""
    _invocation[:] = [context]
    for config in _configs:
        config.register_lambda_context(context)


def exactly_once(consumer: str, table_name: str, *, key: str = "id") -> Callable[[F], F]:
    """Runs the decorated function once per distinct `event.<key>`; call it as `f(event=...)`."""
    persistence = DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value=f"IDEMPOTENCY#{consumer}",
        expiry_attr="ttl",
    )
    config = IdempotencyConfig(
        event_key_jmespath=key, expires_after_seconds=RETENTION_SECONDS, raise_on_no_idempotency_key=True
    )
    _configs.append(config)
    if _invocation:
        config.register_lambda_context(_invocation[0])

    def decorate(function: F) -> F:
        decorated: F = idempotent_function(data_keyword_argument="event", persistence_store=persistence, config=config)(
            function
        )
        return decorated

    return decorate
