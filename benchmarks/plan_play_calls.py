"""DynamoDB calls per plan-play request, counted on the local stack (moto, no AWS account).

    .venv/bin/python -m benchmarks.plan_play_calls

Each request goes through the template-driven gateway exactly as in the tests; every
DynamoDB API call the functions make while it is handled is counted as moto answers it
(`planhub_local.dynamodb_calls`), so the figures are what a request costs on AWS in round
trips. Not a test: it prints, and asserts nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from planhub_local.stack import configure_process

configure_process()

from moto import mock_aws  # noqa: E402

from planhub_local import dynamodb_calls, tokens  # noqa: E402
from planhub_local.gateway import Gateway, HttpResponse  # noqa: E402
from planhub_local.stack import LocalStack, forget_warm_containers  # noqa: E402

CLIENT = "c-bench"


class Bench:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.rows: list[tuple[str, int, str, int]] = []

    def request(self, label: str, method: str, path: str, token: str, body: Any = None) -> HttpResponse:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        payload = json.dumps(body) if body is not None else None
        with dynamodb_calls.recorded() as calls:
            answer = self.gateway.handle(method, path, headers, payload)
        self.rows.append((label, len(calls), calls.summary(), answer.status))
        return answer

    def measure(self, label: str, work: Callable[[], None]) -> None:
        with dynamodb_calls.recorded() as calls:
            work()
        self.rows.append((label, len(calls), calls.summary(), 0))

    def report(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        print(f"{'request'.ljust(width)}  status  calls  operations")
        for label, count, operations, status in self.rows:
            shown = str(status) if status else "-"
            print(f"{label.ljust(width)}  {shown:>6}  {count:>5}  {operations}")


def main() -> None:
    with mock_aws():
        # The first create must meet a container that has not yet read the client's policy.
        forget_warm_containers()
        stack = LocalStack().create()
        gateway = Gateway(stack)
        bench = Bench(gateway)
        staff = tokens.staff()
        learner = tokens.token("u-bench", client_id=CLIENT)
        policy = {
            "rate_limit": {"requests": 1000, "per_seconds": 60},
            "quota": {"activities": 100000, "period": "month"},
            "credits": {"balance": 100000, "per_create": 1, "per_completion": 5},
        }
        gateway.handle(
            "PUT",
            f"/admin/clients/{CLIENT}",
            {"Content-Type": "application/json", "Authorization": f"Bearer {staff}"},
            json.dumps({"name": CLIENT, "policy": policy}),
        )
        stack.drain()  # the catalog's own event (client saved) is not what is measured
        body = {"planId": "plan-1", "plannedLessons": ["l1", "l2", "l3"]}

        first = bench.request(
            "POST create (policy not yet known to the function)", "POST", "/api/plan-plays", learner, body
        )
        play_id = first.json()["data"]["id"]
        second = bench.request("POST create (warm: policy known)", "POST", "/api/plan-plays", learner, body)
        other_id = second.json()["data"]["id"]
        bench.request("GET one", "GET", f"/api/plan-plays/{play_id}", learner)
        bench.request("GET list", "GET", "/api/plan-plays", learner)
        bench.request("GET list filtered by status", "GET", "/api/plan-plays?status=in_progress", learner)
        bench.request(
            "PATCH progress (not billable)",
            "PATCH",
            f"/api/plan-plays/{play_id}",
            learner,
            {"currentLessonIndex": 1, "completedLessons": ["l1"]},
        )
        bench.request(
            "PATCH first completion (policy not yet known to the function)",
            "PATCH",
            f"/api/plan-plays/{play_id}",
            learner,
            {"status": "completed"},
        )
        bench.request(
            "PATCH completion retried (no change)",
            "PATCH",
            f"/api/plan-plays/{play_id}",
            learner,
            {"status": "completed"},
        )
        bench.request(
            "PATCH first completion as ended (warm)",
            "PATCH",
            f"/api/plan-plays/{other_id}",
            learner,
            {"status": "ended"},
        )
        started = time.monotonic()
        bench.measure("metering the 4 billable events above (all consumers)", stack.drain)
        bench.request("GET usage", "GET", f"/api/usage?clientId={CLIENT}", learner)
        bench.report()
        print(
            f"\n(drain took {time.monotonic() - started:.2f}s; metering does one TransactWriteItems per billable event)"
        )


if __name__ == "__main__":
    main()
