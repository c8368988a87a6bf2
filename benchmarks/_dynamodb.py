"""Counting what the functions ask of DynamoDB, from botocore's events (shared by the benchmarks).

Calls are counted on `before-call.dynamodb.*`. Capacity is estimated from DynamoDB's sizing
rules on the items each call reads or writes (moto answers a constant, so its
ConsumedCapacity would be no figure at all): a read costs ceil(size / 4 KB) read units, half
that when eventually consistent, at least 0.5; a write ceil(size / 1 KB) write units; a
transaction twice that. Updates are sized on the item afterwards (our updates answer ALL_NEW)
and index writes are left out, so writes are a lower bound.
"""

from __future__ import annotations

import copy
import math
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3


def item_size(item: dict[str, Any]) -> int:
    """An item's size in bytes as DynamoDB counts it (attribute names plus values)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:  # noqa: PLR0911 - one branch per attribute type
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return math.ceil(len(inner.strip("-").lstrip("0").replace(".", "")) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in inner)
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    return 0


def _read_units(sizes: list[int], consistent: bool) -> float:
    units = max(1, math.ceil(sum(sizes) / 4096))
    return float(units) if consistent else units / 2


def _write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


@dataclass
class Usage:
    calls: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def operations(self) -> str:
        return ", ".join(f"{op} x{n}" if n > 1 else op for op, n in sorted(self.calls.items())) or "-"


def fresh_containers() -> None:
    """Forget the local stack's warm containers (they live as long as the process).

    A container's clients keep the event hooks of the session they were made in; when
    `make bench` runs the benchmarks in one process, each benchmark's meter must see the
    calls of containers made under its own session.
    """
    from planhub_local import stack

    with stack._POOLS_LOCK:
        stack._POOLS.clear()


class DynamoDBMeter:
    """Counts the DynamoDB calls of every boto3 client created after `install()`."""

    def __init__(self) -> None:
        self.usage = Usage()
        self._counting = False
        self._lock = threading.Lock()
        self.recorded: list[tuple[str, dict[str, Any]]] | None = None  # (operation, params) while recording

    def install(self) -> None:
        fresh_containers()
        # Clients copy their session's handlers when created, so this comes before any client.
        events = boto3._get_default_session().events
        events.register("before-call.dynamodb", self._before)
        events.register("after-call.dynamodb", self._after)
        # The request parameters, for sizing writes; kept on the call's context.
        events.register("before-parameter-build.dynamodb", self._keep_params)

    @contextmanager
    def window(self) -> Iterator[Usage]:
        with self._lock:
            self.usage = Usage()
            self._counting = True
        try:
            yield self.usage
        finally:
            self._counting = False

    def _keep_params(self, event_name: str, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["_planhub_params"] = params
        if self.recorded is not None:
            self.recorded.append((event_name.rsplit(".", 1)[-1], copy.deepcopy(params)))

    def _before(self, event_name: str, **_: Any) -> None:
        if self._counting:
            with self._lock:
                self.usage.calls[event_name.rsplit(".", 1)[-1]] += 1

    def _after(self, event_name: str, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
        if not self._counting:
            return
        params = kwargs.get("context", {}).get("_planhub_params") or {}
        read, write = _capacity(event_name.rsplit(".", 1)[-1], parsed, params)
        with self._lock:
            self.usage.read_units += read
            self.usage.write_units += write


def _capacity(  # noqa: PLR0911 - one branch per operation
    operation: str, parsed: dict[str, Any], params: dict[str, Any]
) -> tuple[float, float]:
    consistent = bool(params.get("ConsistentRead"))
    if operation == "GetItem":
        item = parsed.get("Item")
        return _read_units([item_size(item)] if item else [], consistent), 0.0
    if operation == "Query":
        return _read_units([item_size(i) for i in parsed.get("Items", [])], consistent), 0.0
    if operation == "BatchGetItem":
        items = [i for table in parsed.get("Responses", {}).values() for i in table]
        return sum(_read_units([item_size(i)], consistent) for i in items) or 0.5, 0.0
    if operation == "PutItem":
        return 0.0, _write_units(item_size(params.get("Item", {})))
    if operation == "UpdateItem":
        return 0.0, _write_units(item_size(parsed.get("Attributes") or params.get("Key", {})))
    if operation == "DeleteItem":
        return 0.0, _write_units(item_size(params.get("Key", {})))
    if operation == "BatchWriteItem":
        requests = [r for table in params.get("RequestItems", {}).values() for r in table]
        return 0.0, sum(_write_units(item_size(r.get("PutRequest", {}).get("Item") or {})) for r in requests)
    if operation == "TransactWriteItems":
        total = 0.0
        for entry in params.get("TransactItems", []):
            body = next(iter(entry.values()))
            total += 2 * _write_units(item_size(body.get("Item") or body.get("Key") or {}))
        return 0.0, total
    return 0.0, 0.0
