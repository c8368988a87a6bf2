"""Load through the local gateway: requests per second and p50/p99 latency of the hot routes
with 1, 8 and 32 concurrent clients, beside the storage floor.

    .venv/bin/python -m benchmarks.gateway_load      (BENCH_LOAD_REQUESTS=300 per level)

In-process: the template-driven Gateway (route match, the REQUEST authorizer, proxy event,
the function's warm container) on moto, threads as clients, a bounded number of requests per
level. The storage floor replays the same DynamoDB calls one request of the route makes
(recorded as moto answered them) straight to moto with a plain client, under the same concurrency:
what the request would cost if everything but storage were free. Writes replayed may fail
their conditions (the item exists by then); each is still one moto round trip.
Each moto call holds one process-wide lock (DynamoDB's per-call atomicity, planhub_local),
so more clients queue rather than run in parallel: the figures show that queue.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from planhub_local.stack import configure_process

configure_process()

import boto3  # noqa: E402
from botocore import xform_name  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

from planhub_local import dynamodb_calls, tokens  # noqa: E402
from planhub_local.gateway import Gateway  # noqa: E402
from planhub_local.seed import load_seed  # noqa: E402
from planhub_local.server import DEMO_SEED  # noqa: E402
from planhub_local.stack import LocalStack, forget_warm_containers  # noqa: E402

CONCURRENCY = (1, 8, 32)
CLIENT = "c-load"
GATEWAY_TARGET = 2.0  # issue 8: gateway p50 at most 2x the storage floor's


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


def main() -> None:
    requests = int(os.environ.get("BENCH_LOAD_REQUESTS", "300"))
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the functions' log lines are not figures
    rows = []
    with mock_aws(), contextlib.redirect_stdout(quiet):
        forget_warm_containers()  # the containers of an earlier benchmark in this process
        stack = LocalStack().create()
        gateway = Gateway(stack)
        staff = tokens.staff()
        load_seed(DEMO_SEED, gateway, staff)

        def send(method: str, path: str, token: str, body: Any = None) -> Any:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            answer = gateway.handle(method, path, headers, json.dumps(body) if body is not None else None)
            assert answer.status < 300, f"{method} {path}: {answer.status} {answer.body}"
            return answer.json()

        policy = {
            "rate_limit": {"requests": 1_000_000, "per_seconds": 60},
            "quota": {"activities": 1_000_000, "period": "month"},
            "credits": {"balance": 1_000_000, "per_create": 1, "per_completion": 5},
        }
        send("PUT", f"/admin/clients/{CLIENT}", staff, {"name": CLIENT, "policy": policy})
        learner = tokens.token("u-learner", client_id=CLIENT, roles={"p-acme": ["learner"]})
        admin = tokens.token("u-admin", roles={"p-acme": ["admin"]})
        play = {"planId": "plan-1", "plannedLessons": ["l1", "l2", "l3"]}
        play_id = send("POST", "/api/plan-plays", learner, play)["data"]["id"]
        plan_id = send(
            "POST", "/enrolment/plan/p-acme/lo-course/user/u-learner", admin, {"status": 1, "notify": False}
        )["id"]
        stack.drain()
        hot = [
            ("GET a plan play", "GET", f"/api/plan-plays/{play_id}", learner, None),
            ("POST a plan play", "POST", "/api/plan-plays", learner, play),
            ("GET a portal", "GET", "/admin/portals/p-acme", staff, None),
            ("GET a plan", "GET", f"/enrolment/plan/{plan_id}", admin, None),
        ]
        floor_client = boto3.client("dynamodb")
        for label, method, path, token, body in hot:
            send(method, path, token, body)  # warm: a container exists for each function
            with dynamodb_calls.recorded() as one_request:
                send(method, path, token, body)
            recorded = [(call.operation, call.params) for call in one_request]

            def replay(recorded: list[tuple[str, dict[str, Any]]] = recorded) -> None:
                for operation, params in recorded:
                    with contextlib.suppress(ClientError):
                        getattr(floor_client, xform_name(operation))(**params)

            def request(method: str = method, path: str = path, token: str = token, body: Any = body) -> None:
                send(method, path, token, body)

            for clients in CONCURRENCY:
                # Steady state: as many warm containers as clients before the clock starts.
                _load(request, clients, clients * 2)
                through = _load(request, clients, requests)
                floor = _load(replay, clients, requests)
                rows.append((label, clients, len(recorded), through, floor))
            stack.drain()
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


if __name__ == "__main__":
    main()
