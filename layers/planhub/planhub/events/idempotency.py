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

from planhub.storage import keys as table_keys

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


class _SpreadPersistence(DynamoDBPersistenceLayer):
    """Powertools' DynamoDB layer, each record in a partition of its own.

    With a sort key, Powertools keeps every record of a consumer under one static partition
    key: a burst of 10,000 events would write one hot partition. The record's key comes from
    `storage.keys.idempotency_record` instead (Powertools' `_get_key`, version pinned in
    layers/planhub/requirements.txt; tests/local/test_aws_limits.py checks the keys).
    """

    def __init__(self, consumer: str, table_name: str) -> None:
        super().__init__(
            table_name=table_name,
            key_attr="PK",
            sort_key_attr="SK",
            static_pk_value=f"IDEMPOTENCY#{consumer}",
            expiry_attr="ttl",
        )
        self.consumer = consumer

    def _get_key(self, idempotency_key: str) -> dict[str, Any]:
        record = table_keys.idempotency_record(self.consumer, idempotency_key)
        return {self.key_attr: {"S": record["PK"]}, self.sort_key_attr: {"S": record["SK"]}}  # type: ignore[dict-item]


def exactly_once(consumer: str, table_name: str, *, key: str = "id") -> Callable[[F], F]:
    """Runs the decorated function once per distinct `event.<key>`; call it as `f(event=...)`."""
    persistence = _SpreadPersistence(consumer, table_name)
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
