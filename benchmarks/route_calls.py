"""DynamoDB calls and capacity per request, for every route of template.yaml, beside the
minimum its access pattern needs (docs/performance.md explains each minimum).

    .venv/bin/python -m benchmarks.route_calls

The local stack is loaded with seeds/demo.json through the admin API; then each route is
called once with its sample event (events/<LogicalId>.json: path, query, body and claims, the
token re-signed), through the gateway as in the tests. Events caused by a request are
drained between requests and not counted. Calls come from botocore's events; capacity is
estimated from item sizes (benchmarks/_dynamodb.py). Not a test: it prints, asserts nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any

from planhub_local.stack import configure_process

configure_process()

from moto import mock_aws  # noqa: E402

from benchmarks._dynamodb import metered  # noqa: E402
from planhub_local import tokens  # noqa: E402
from planhub_local.gateway import Gateway  # noqa: E402
from planhub_local.seed import load_seed  # noqa: E402
from planhub_local.server import DEMO_SEED  # noqa: E402
from planhub_local.stack import LocalStack, forget_warm_containers  # noqa: E402
from planhub_local.template import REPO  # noqa: E402

# The fewest DynamoDB calls each route's access pattern needs on its success path, and why.
# (docs/performance.md carries the same reasoning as a table.)
MINIMUM: dict[str, tuple[int, str]] = {
    "PutPortalFunction": (
        1,
        "one transaction (portal, name alias, event); the old name read only if a condition on it fails",
    ),
    "GetPortalFunction": (1, "GetItem"),
    "PutUserFunction": (1, "one transaction: user, manager edges, outbox event"),
    "GetUserFunction": (1, "GetItem"),
    "PutGroupFunction": (2, "Query of the current members, one transaction: group, member changes, events"),
    "GetGroupFunction": (2, "GetItem of the group, Query of its members (their own partition; 1 if co-located)"),
    "PutLearningObjectFunction": (1, "one transaction: the LO and its outbox event"),
    "GetLearningObjectFunction": (1, "GetItem"),
    "PutCompanyFunction": (1, "one transaction: the company and its outbox event"),
    "GetCompanyFunction": (1, "GetItem"),
    "PutProductFunction": (1, "one transaction: the product and its outbox event"),
    "GetProductFunction": (1, "GetItem"),
    "PutClientFunction": (2, "one transaction (client, event); BatchGetItem of client and usage for the answer"),
    "GetClientFunction": (1, "BatchGetItem of the client and its usage item"),
    "PutCouponFunction": (1, "one transaction: update keeping uses with if_not_exists, portal check, event"),
    "GetCouponFunction": (1, "GetItem"),
    "TopUpClientCreditsFunction": (2, "one transaction (conditional ADD, event); BatchGetItem for the answer"),
    "IssueCreditTokensFunction": (2, "GetItem of the LO (availability), one transaction: tokens, portal check, event"),
    "ListCatalogAuditFunction": (1, "one Query page of the day's partition"),
    "CreatePlanPlayFunction": (2, "GetItem of the client policy (cached after), one transaction: play, checks, event"),
    "GetPlanPlayFunction": (1, "GetItem"),
    "UpdatePlanPlayFunction": (1, "one transaction: conditional update and the event"),
    "ListPlanPlaysFunction": (1, "one Query page of the caller's plays (GSI)"),
    "GetUsageFunction": (1, "BatchGetItem of the client and its period's usage item"),
    "AssignPlanToUserFunction": (2, "one BatchGetItem (LO, user, active refs), one transaction"),
    "AssignPlanToGroupFunction": (2, "one BatchGetItem (LO, group), one transaction (the fan-out is async)"),
    "GetPlanFunction": (1, "GetItem"),
    "CreateEnrolmentFunction": (3, "GetItem LO, GetItem parent LO, one transaction"),
    "CreateStudentEnrolmentFunction": (3, "GetItem LO, GetItem parent LO, one transaction"),
    "CreateEnrolmentsFunction": (2, "BatchGetItem of the LOs, one transaction per 100 writes"),
    "CreateStudentEnrolmentsFunction": (2, "BatchGetItem of the LOs, one transaction per 100 writes"),
    "UpdateEnrolmentFunction": (2, "GetItem (version, owner), one conditional transaction"),
    "GetEnrolmentFunction": (1, "GetItem"),
    "ListEnrolmentHistoryFunction": (2, "GetItem of the enrolment (access), one Query page of its history"),
    "CreateSubscriptionPlanFunction": (1, "one transaction: plan, index entries and event"),
    "GetSubscriptionPlanFunction": (1, "GetItem"),
    "UpdateSubscriptionPlanFunction": (1, "one conditional transaction"),
    "DeleteSubscriptionPlanFunction": (1, "one conditional transaction"),
    "ListSubscriptionPlansFunction": (1, "one Query page"),
}


def _request_of(sample: dict[str, Any]) -> tuple[str, str, dict[str, str], str | None]:
    """Method, path with query, headers with a freshly signed token, body: from a sample event."""
    query = sample.get("multiValueQueryStringParameters") or {}
    path = sample["path"]
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, values in query.items() for v in values)
    claims = json.loads(((sample.get("requestContext") or {}).get("authorizer") or {}).get("claims") or "{}")
    claims["exp"] = int(time.time()) + 3600
    headers = {k: v for k, v in (sample.get("headers") or {}).items() if k.lower() != "authorization"}
    headers["Authorization"] = f"Bearer {tokens.sign(claims)}"
    return sample["httpMethod"], path, headers, sample.get("body")


def main() -> None:
    # The functions' log lines (to stdout, bound when each is first imported) are not figures.
    quiet = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    with mock_aws(), contextlib.redirect_stdout(quiet):
        forget_warm_containers()  # each function's first request is counted, as in a lone run
        stack = LocalStack().create()
        gateway = Gateway(stack)
        load_seed(DEMO_SEED, gateway, tokens.staff())
        stack.drain()
        rows = []
        for route in reversed(stack.template.routes()):  # template order, roughly: PUTs before GETs
            sample = json.loads((REPO / "events" / f"{route.function}.json").read_text())
            method, path, headers, body = _request_of(sample)
            with metered() as usage:
                answer = gateway.handle(method, path, headers, body)
            stack.drain()
            minimum, why = MINIMUM.get(route.function, (0, "not yet analysed"))
            rows.append((f"{route.method} {route.path}", answer.status, usage, minimum, why))
        # Success paths the sample events do not reach on the demo seed.
        admin = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {tokens.token('u-admin', roles={'p-acme': ['admin']})}",
        }
        assign = json.dumps({"status": 1, "notify": False})
        scenario = [
            ("AssignPlanToUserFunction", "POST", "/enrolment/plan/p-acme/lo-course/user/u-learner", assign),
            ("AssignPlanToGroupFunction", "POST", "/enrolment/plan/p-acme/lo-video/group/g-sales", assign),
        ]
        plan_id = None
        for function, method, path, body in scenario:
            with metered() as usage:
                answer = gateway.handle(method, path, admin, body)
            stack.drain()
            plan_id = plan_id or (answer.json() or {}).get("id")
            rows.append((f"{method} {path} (demo seed)", answer.status, usage, *MINIMUM[function]))
        with metered() as usage:
            answer = gateway.handle("GET", f"/enrolment/plan/{plan_id}", admin)
        rows.append((f"GET /enrolment/plan/{plan_id} (demo seed)", answer.status, usage, *MINIMUM["GetPlanFunction"]))
    if rows:
        width = max(len(r[0]) for r in rows)
        print(f"{'route'.ljust(width)}  status  calls  min  RCU   WCU   operations  |  minimum: why")
        at_minimum = 0
        successes = 0
        for label, status, usage, minimum, why in rows:
            flag = "" if usage.total <= minimum or not minimum else "  <-- above minimum"
            print(
                f"{label.ljust(width)}  {status:>6}  {usage.total:>5}  {minimum:>3}  {usage.read_units:4.1f}"
                f"  {usage.write_units:4.1f}  {usage.operations()}  |  {why}{flag}"
            )
            if 200 <= status < 300:
                successes += 1
                at_minimum += usage.total <= minimum
        print(
            f"\n{at_minimum} of {successes} successful requests make the minimum number"
            " of calls (a 4xx answer is counted on its refusal path, shown for completeness)"
        )


if __name__ == "__main__":
    main()
