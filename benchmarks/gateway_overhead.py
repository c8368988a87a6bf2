"""Where a hot request's time goes when storage is taken out: the gateway's and the
function's own work, by area.

    .venv/bin/python -m benchmarks.gateway_overhead   (BENCH_OVERHEAD_REQUESTS=200, BENCH_OVERHEAD_ROUNDS=5)

For each hot route of gateway_load, one client, warm containers: the whole request through
the in-process Gateway (authorizer, proxy event, function, DynamoDB on moto), and the same
request with every DynamoDB call answered from a recording of it (botocore's
`_make_api_call` hands back the answer moto gave, so neither botocore's serialisation nor
moto runs). The second is the request's own cost: the local gateway's emulation, the
authorizer's token check, Powertools' routing and validation, pydantic, the layer's code
and Lambda's JSON round trip of the event. Medians of interleaved rounds. Then a cProfile
of the own cost, each function's own time given to an area by where its code lives
(builtins and the standard library to the area that called them). Profiling slows Python
code more than C code, so the shares are a guide, not a measurement. Prints only.
"""

from __future__ import annotations

import contextlib
import cProfile
import os
import pstats
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from planhub_local.stack import configure_process

configure_process()

import botocore.client  # noqa: E402
from moto import mock_aws  # noqa: E402

from benchmarks._hot_routes import HotRoute, hot_routes, request  # noqa: E402
from planhub_local import dynamodb_calls  # noqa: E402
from planhub_local.gateway import Gateway  # noqa: E402
from planhub_local.stack import LocalStack, forget_warm_containers  # noqa: E402

# Where a function's code lives -> the area its time is given to (first match wins).
AREAS = (
    ("/planhub_local/", "local gateway"),
    ("/layers/planhub/", "layer"),
    ("/functions/", "layer"),
    ("/aws_lambda_powertools/", "Powertools"),
    ("/jwt/", "PyJWT"),
    ("/cryptography/", "PyJWT"),
    ("/pydantic", "pydantic"),
    ("/boto3/", "boto3 types (codec)"),
    ("/json/", "json"),
)
_StatKey = tuple[str, int, str]


@contextlib.contextmanager
def answered_from(answers: list[dict[str, Any]]) -> Iterator[list[int]]:
    """DynamoDB calls answered with `answers` in turn (the cursor is reset per request)."""
    real = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
    cursor = [0]

    def recorded(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name != dynamodb_calls.SERVICE:
            return real(self, operation_name, api_params)
        answer = answers[cursor[0] % len(answers)]
        cursor[0] += 1
        return answer

    botocore.client.BaseClient._make_api_call = recorded  # type: ignore[attr-defined]
    try:
        yield cursor
    finally:
        botocore.client.BaseClient._make_api_call = real  # type: ignore[attr-defined]


def _area_of(key: _StatKey, stats: dict[_StatKey, Any], known: dict[_StatKey, Counter[str]]) -> Counter[str]:
    """`key`'s share per area: its own, or for builtins and the standard library its callers'."""
    if key in known:
        return known[key]
    known[key] = Counter({"other": 1})  # while it is being worked out (a cycle of callers)
    shares: Counter[str] = Counter()
    area = next((area for fragment, area in AREAS if fragment in key[0]), None)
    callers = stats[key][4]
    if area is not None or not callers:
        shares[area or "other"] = 1
    else:
        total = sum(edge[2] for edge in callers.values())
        for caller, edge in callers.items():
            weight = edge[2] / total if total else 1 / len(callers)
            for caller_area, share in _area_of(caller, stats, known).items():
                shares[caller_area] += weight * share  # type: ignore[assignment]
    known[key] = shares
    return shares


def _areas(profile: cProfile.Profile) -> list[tuple[str, float]]:
    stats: dict[_StatKey, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    known: dict[_StatKey, Counter[str]] = {}
    spent: Counter[str] = Counter()
    for key, (_, _, own, _, _) in stats.items():
        for area, share in _area_of(key, stats, known).items():
            spent[area] += own * share  # type: ignore[assignment]
    total = sum(spent.values()) or 1.0
    return [(area, value / total) for area, value in spent.most_common()]


def _timed(gateway: Gateway, route: HotRoute, requests: int, cursor: list[int] | None = None) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        if cursor is not None:
            cursor[0] = 0
        request(gateway, route)
    return (time.perf_counter() - started) * 1000 / requests


def main() -> None:
    requests = int(os.environ.get("BENCH_OVERHEAD_REQUESTS", "200"))
    rounds = int(os.environ.get("BENCH_OVERHEAD_ROUNDS", "5"))
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the functions' log lines are not figures
    rows = []
    with mock_aws(), contextlib.redirect_stdout(quiet):
        forget_warm_containers()  # the containers of an earlier benchmark in this process
        stack = LocalStack().create()
        gateway = Gateway(stack)
        for route in hot_routes(stack, gateway):
            for _ in range(20):  # warm: containers, caches, the client's policy
                request(gateway, route)
            with dynamodb_calls.recorded() as calls:
                request(gateway, route)
            answers = [call.answer for call in calls]
            whole: list[float] = []
            own: list[float] = []
            for _ in range(rounds):
                whole.append(_timed(gateway, route, requests))
                with answered_from(answers) as cursor:
                    own.append(_timed(gateway, route, requests, cursor))
            with answered_from(answers) as cursor:
                profile = cProfile.Profile()
                profile.enable()
                _timed(gateway, route, requests, cursor)
                profile.disable()
            stack.drain()
            rows.append((route.label, calls.summary(), statistics.median(whole), statistics.median(own), profile))
    print(f"one client, {requests} requests x {rounds} interleaved rounds per route; medians, ms per request")
    print(f"{'route':<17} {'DynamoDB calls':<19} whole  own (storage answered from a recording)  storage  own share")
    for label, operations, whole_ms, own_ms, _ in rows:
        print(
            f"{label:<17} {operations:<19} {whole_ms:5.2f}  {own_ms:40.2f}  {whole_ms - own_ms:7.2f}"
            f"  {own_ms / whole_ms:8.0%}"
        )
    print("\nown time by area (cProfile share of the own cost):")
    for label, _, _, _, profile in rows:
        print(f"{label:<17} " + ", ".join(f"{area} {share:.0%}" for area, share in _areas(profile) if share >= 0.005))


if __name__ == "__main__":
    main()
