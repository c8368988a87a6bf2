"""Counting what the functions ask of DynamoDB, and its capacity (shared by the benchmarks).

Calls are those moto answers (`planhub_local.dynamodb_calls`: every client's, on the
measuring thread), with their parameters and answers in DynamoDB JSON. Capacity is
estimated from DynamoDB's sizing rules on the items each call reads or writes (moto answers
a constant, so its ConsumedCapacity would be no figure at all): a read costs ceil(size / 4 KB) read units, half
that when eventually consistent, at least 0.5; a write ceil(size / 1 KB) write units; a
transaction twice that. Updates are sized on the item afterwards (our updates answer ALL_NEW)
and index writes are left out, so writes are a lower bound.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from planhub_local import dynamodb_calls
from planhub_local.dynamodb_calls import Calls


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
    errors: Counter[str] = field(default_factory=Counter)  # refused calls, by error code

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def operations(self) -> str:
        return ", ".join(f"{op} x{n}" if n > 1 else op for op, n in sorted(self.calls.items())) or "-"

    def add(self, calls: Calls) -> None:
        for call in calls:
            self.calls[call.operation] += 1
            read, write = _capacity(call.operation, call.answer, call.params)
            self.read_units += read
            self.write_units += write
            if call.error:
                self.errors[call.error] += 1


@contextmanager
def metered() -> Iterator[Usage]:
    """The DynamoDB calls this thread makes in the block, and their estimated capacity.

    Filled in when the block ends; calls come from `planhub_local.dynamodb_calls`, so every
    client counts, a warm container's too.
    """
    usage = Usage()
    with dynamodb_calls.recorded() as calls:
        try:
            yield usage
        finally:
            usage.add(calls)


def _capacity(  # noqa: PLR0911 - one branch per operation
    operation: str, answer: dict[str, Any], params: dict[str, Any]
) -> tuple[float, float]:
    consistent = bool(params.get("ConsistentRead"))
    if operation == "GetItem":
        item = answer.get("Item")
        return _read_units([item_size(item)] if item else [], consistent), 0.0
    if operation == "Query":
        return _read_units([item_size(i) for i in answer.get("Items", [])], consistent), 0.0
    if operation == "BatchGetItem":
        items = [i for table in answer.get("Responses", {}).values() for i in table]
        return sum(_read_units([item_size(i)], consistent) for i in items) or 0.5, 0.0
    if operation == "PutItem":
        return 0.0, _write_units(item_size(params.get("Item", {})))
    if operation == "UpdateItem":
        return 0.0, _write_units(item_size(answer.get("Attributes") or params.get("Key", {})))
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
