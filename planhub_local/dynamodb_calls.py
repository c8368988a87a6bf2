"""The DynamoDB calls made while a block runs, as moto answered them: for tests and benchmarks.

    from planhub_local import dynamodb_calls

    with dynamodb_calls.recorded() as calls:
        gateway.handle("GET", "/admin/portals/p-acme", headers)
    assert calls.operations() == Counter({"GetItem": 1})

Every call a boto3 client makes to the local stack reaches moto's stubber, which
`moto_patches` wraps to make each call atomic; that wrapper hands each answered call here.
So every client is seen, whenever and from whichever session it was made: a warm
container's clients too. (A botocore hook registered on a session is seen only by clients
created after it, which is why counting that way needs fresh containers.)

A recording sees the calls made on its own thread. The local stack runs a request's
functions (the authorizer and the route's function) on the thread that called
`Gateway.handle`, and `LocalStack.drain` runs consumers on its caller's thread, so a
recording around one request counts that request's calls even while other threads send
theirs. Each `Call` is one attempt that reached moto: a call botocore retries is recorded
once per attempt, as DynamoDB sees (and bills) it.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

SERVICE = "dynamodb"


@dataclass(frozen=True)
class Call:
    """One DynamoDB call: its parameters and moto's answer, both in DynamoDB's JSON form."""

    operation: str  # "GetItem", "TransactWriteItems", ...
    params: dict[str, Any]  # as sent, e.g. {"TableName": ..., "Key": {"PK": {"S": ...}, ...}}
    answer: dict[str, Any]  # as answered; for a refused call, the error body (with "__type")
    status: int

    @property
    def error(self) -> str | None:
        """The error code of a refused call ("ConditionalCheckFailedException", ...), else None."""
        if self.status < 400:
            return None
        return str(self.answer.get("__type", "")).rsplit("#", 1)[-1] or "UnknownError"


class Calls(list[Call]):
    """The calls recorded by one `recorded()` block, in the order they were made."""

    def operations(self) -> Counter[str]:
        return Counter(call.operation for call in self)

    def summary(self) -> str:
        """`BatchGetItem, TransactWriteItems x2`: operations by name, with their counts."""
        return ", ".join(f"{op} x{n}" if n > 1 else op for op, n in sorted(self.operations().items())) or "-"


_open = threading.local()  # .recordings: the Calls of this thread's open `recorded()` blocks


@contextmanager
def recorded() -> Iterator[Calls]:
    """Records the DynamoDB calls this thread makes until the block ends (blocks may nest)."""
    calls = Calls()
    recordings: list[Calls] = _open.__dict__.setdefault("recordings", [])
    recordings.append(calls)
    try:
        yield calls
    finally:
        recordings.remove(calls)


def answered(event_name: str, request: Any, response: Any) -> None:
    """moto answered `request` (botocore's `before-send.<service>.<Operation>` event): record it."""
    recordings: list[Calls] | None = getattr(_open, "recordings", None)
    if not recordings or response is None:
        return
    _, service, operation = event_name.split(".", 2)
    if service != SERVICE:
        return
    body = request.body or b"{}"
    content = response.content or b"{}"
    call = Call(operation=operation, params=json.loads(body), answer=json.loads(content), status=response.status_code)
    for calls in recordings:
        calls.append(call)
