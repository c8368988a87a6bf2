"""Load through the local gateway: requests per second and p50/p99 latency of the hot routes
with 1, 8 and 32 concurrent clients, beside the storage floor.

    .venv/bin/python -m benchmarks.gateway_load      (BENCH_LOAD_REQUESTS=300 per level)

In-process: the template-driven Gateway (route match, the REQUEST authorizer, proxy event,
the function's warm container) on moto, threads as clients, a bounded number of requests per
level. The storage floor replays the DynamoDB calls one request of the route makes
(recorded as moto answered them) straight to moto with a plain client, under the same
concurrency: what the request would cost if everything but storage were free.

A create must write what the real request writes, so the floor's calls are rewritten for
each replay: the route is recorded twice, and the values that differ between the two
recordings (new ids inside keys and attributes, event ids, ClientRequestToken) are replaced
by fresh ones of the same form in every replay, so every condition holds and every write
lands (the play, its outbox event and their stream records). Reads replay unchanged. Each
level prints what the floor's calls did: how many moto refused (by error code) and how many
items each request and each replay added to the table, which must match.

Each moto call holds one process-wide lock (DynamoDB's per-call atomicity, planhub_local),
so more clients queue rather than run in parallel: the figures show that queue.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from planhub_local.stack import configure_process

configure_process()

import boto3  # noqa: E402
from botocore import xform_name  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

from benchmarks._hot_routes import HotRoute, hot_routes, request  # noqa: E402
from planhub_local import dynamodb_calls, moto_patches  # noqa: E402
from planhub_local.dynamodb_calls import Calls  # noqa: E402
from planhub_local.gateway import Gateway  # noqa: E402
from planhub_local.stack import LocalStack, forget_warm_containers  # noqa: E402
from planhub_local.template import ACCOUNT, REGION  # noqa: E402

CONCURRENCY = (1, 8, 32)
GATEWAY_TARGET = 2.0  # issue 8: gateway p50 at most 2x the storage floor's
# A value that differs between two recordings of a request is fresh per request when it
# looks like an id or a token (a timestamp differs too, but no condition depends on it).
FRESH = re.compile(r"[0-9A-Za-z]{8,}")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _load(call: Callable[[], Any], clients: int, requests: int) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 latency (ms) of `requests` calls spread over `clients` threads."""
    latencies: list[float] = []

    def one() -> None:
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(one) for _ in range(requests)]:
            future.result()
    elapsed = time.perf_counter() - started
    return requests / elapsed, _percentile(latencies, 0.5), _percentile(latencies, 0.99)


def _fresh_tokens(first: Any, second: Any, found: set[str]) -> None:
    """The `#`-separated parts of `second`'s strings that differ from `first`'s and look like ids."""
    if isinstance(first, dict) and isinstance(second, dict):
        for name in first.keys() & second.keys():
            _fresh_tokens(first[name], second[name], found)
    elif isinstance(first, list) and isinstance(second, list):
        for a, b in zip(first, second, strict=False):
            _fresh_tokens(a, b, found)
    elif isinstance(first, str) and isinstance(second, str) and first != second:
        for a, b in zip(first.split("#"), second.split("#"), strict=False):
            if a != b and FRESH.fullmatch(b):
                found.add(b)


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, str) and names:
        return "#".join(names.get(part, part) for part in value.split("#"))
    return value


def _like(token: str) -> str:
    """A new value of `token`'s form: digits for digits, hex otherwise (our ids and tokens are hex)."""
    if token.isdigit():
        return str(secrets.randbelow(9 * 10 ** (len(token) - 1)) + 10 ** (len(token) - 1))
    return secrets.token_hex(len(token))[: len(token)]


class Floor:
    """One request's DynamoDB calls, replayed straight to moto with fresh ids each time."""

    def __init__(self, first: Calls, second: Calls) -> None:
        self.calls = [(call.operation, call.params) for call in second]
        found: set[str] = set()
        _fresh_tokens([c.params for c in first], [c.params for c in second], found)
        self.fresh = sorted(found)
        self.client = boto3.client("dynamodb")
        self.prepared: deque[list[tuple[str, dict[str, Any]]]] = deque()
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()

    def prepare(self, replays: int) -> None:
        """Rewritten calls for `replays` replays, made before the clock starts."""
        for _ in range(replays):
            names = {token: _like(token) for token in self.fresh}
            self.prepared.append([(operation, _renamed(params, names)) for operation, params in self.calls])

    def replay(self) -> None:
        for operation, params in self.prepared.popleft():
            try:
                getattr(self.client, xform_name(operation))(**params)
            except ClientError as error:
                with self._lock:
                    self.refused[error.response["Error"]["Code"]] += 1


def _item_count(stack: LocalStack) -> int:
    from moto.dynamodb.models import dynamodb_backends

    with moto_patches.lock:
        return len(dynamodb_backends[ACCOUNT][REGION].get_table(stack.table_name))


def main() -> None:
    requests = int(os.environ.get("BENCH_LOAD_REQUESTS", "300"))
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the functions' log lines are not figures
    rows = []
    checks = []
    with mock_aws(), contextlib.redirect_stdout(quiet):
        forget_warm_containers()  # the containers of an earlier benchmark in this process
        stack = LocalStack().create()
        gateway = Gateway(stack)
        for route in hot_routes(stack, gateway):
            request(gateway, route)  # warm: a container exists for each function
            with dynamodb_calls.recorded() as first:
                request(gateway, route)
            with dynamodb_calls.recorded() as second:
                request(gateway, route)
            floor = Floor(first, second)

            def through_gateway(route: HotRoute = route) -> None:
                request(gateway, route)

            gateway_items = floor_items = 0
            for clients in CONCURRENCY:
                # Steady state: as many warm containers as clients before the clock starts.
                _load(through_gateway, clients, clients * 2)
                before = _item_count(stack)
                through = _load(through_gateway, clients, requests)
                gateway_items += _item_count(stack) - before
                floor.prepare(requests)
                before = _item_count(stack)
                floored = _load(floor.replay, clients, requests)
                floor_items += _item_count(stack) - before
                rows.append((route.label, clients, len(second), through, floored))
            replays = requests * len(CONCURRENCY)
            checks.append(
                (route.label, second.summary(), floor.fresh, replays, floor.refused, gateway_items, floor_items)
            )
            # Not measured: the events of ~2,000 plan plays (gateway and floor) take minutes to
            # flow on a busy 2-core machine, past the stack's default two-minute guard.
            stack.drain(timeout_seconds=900)
    print(f"{requests} requests per level; latency in ms; floor: the route's DynamoDB calls straight to moto")
    print(f"{'route':<17} clients  calls  gateway rps    p50    p99  |  floor rps    p50    p99  |  p50 x floor")
    ratios = []
    for label, clients, calls, (rps, p50, p99), (f_rps, f_p50, f_p99) in rows:
        ratio = p50 / f_p50 if f_p50 else float("inf")
        ratios.append(ratio)
        print(
            f"{label:<17} {clients:7d}  {calls:5d}  {rps:11.0f}  {p50:5.1f}  {p99:5.1f}  |  {f_rps:9.0f}"
            f"  {f_p50:5.1f}  {f_p99:5.1f}  |  {ratio:11.1f}"
        )
    met = sum(r <= GATEWAY_TARGET for r in ratios)
    print(f"\np50 within {GATEWAY_TARGET}x the storage floor: {met} of {len(ratios)} (route, clients) levels")
    print(f"median p50 ratio: {statistics.median(ratios):.1f}")
    print("\nwhat the floor's replays did (all levels):")
    for label, operations, fresh, replays, refused, gateway_items, floor_items in checks:
        outcome = "all succeeded" if not refused else "REFUSED: " + ", ".join(f"{c} x{n}" for c, n in refused.items())
        print(
            f"{label:<17} {operations}: {replays} replays, {len(fresh)} values made fresh per replay; calls {outcome};"
            f" items added per request {gateway_items / replays:.1f} (gateway) / {floor_items / replays:.1f} (floor)"
        )


if __name__ == "__main__":
    main()
