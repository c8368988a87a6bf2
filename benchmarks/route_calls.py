"""DynamoDB calls and capacity per request, for every route of template.yaml, beside the
minimum its access pattern needs (docs/performance.md explains each minimum).

    .venv/bin/python -m benchmarks.route_calls

The local stack is loaded with seeds/demo.json through the admin API; then each route is
called once with its sample event (events/<LogicalId>.json: path, query, body and claims, the
token re-signed), through the gateway as in the tests. A sample that does not match the seed
is answered 4xx and counted on its refusal path; for those routes a scenario on the demo
seed then reaches the success path (rows marked "demo seed"): plans assigned and read, a
user read, a plan play read and its progress recorded, and the seed company's admin with
its API key creating, reading, listing, changing and deleting a subscription plan. The
last line names the routes whose success path is still not counted (the enrolment routes
are benchmarks/enrolment_calls.py's). Events caused by a request are drained between
requests and not counted. Calls are those moto answers (planhub_local.dynamodb_calls);
capacity is estimated from item sizes (benchmarks/_dynamodb.py). Not a test: it prints,
asserts nothing.
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

from benchmarks._dynamodb import Usage, metered  # noqa: E402
from planhub_local import tokens  # noqa: E402
from planhub_local.gateway import Gateway  # noqa: E402
from planhub_local.seed import load_seed  # noqa: E402
from planhub_local.server import DEMO_SEED  # noqa: E402
from planhub_local.stack import LocalStack, forget_warm_containers  # noqa: E402
from planhub_local.template import REPO  # noqa: E402

# The seed's API client and company, whose requests reach the success paths.
_SEED = json.loads(DEMO_SEED.read_text())
DEMO_CLIENT = _SEED["clients"][0]["id"]
DEMO_COMPANY = _SEED["companies"][0]["id"]
DEMO_COMPANY_API_KEY = _SEED["companies"][0]["api_keys"][0]

# The fewest DynamoDB calls each route's access pattern needs on its success path, and why.
# (docs/performance.md carries the same reasoning as a table.)
MINIMUM: dict[str, tuple[int, str]] = {
    "PutPortalFunction": (
        1,
        "one transaction (portal, name alias, event); a rename fails the portal's condition, which returns"
        " the old name, and takes a second",
    ),
    "GetPortalFunction": (1, "GetItem"),
    "PutUserFunction": (1, "one transaction: user, manager edges, outbox event"),
    "GetUserFunction": (1, "GetItem"),
    "PutGroupFunction": (2, "Query of the current members, one transaction: group, member changes, events"),
    "GetGroupFunction": (1, "one Query of the group's partition: its item and its members' (a page per 1 MB)"),
    "PutLearningObjectFunction": (1, "one transaction: the LO and its outbox event"),
    "GetLearningObjectFunction": (1, "GetItem"),
    "PutCompanyFunction": (1, "one transaction: the company and its outbox event"),
    "GetCompanyFunction": (1, "GetItem"),
    "PutProductFunction": (1, "one transaction: the product and its outbox event"),
    "GetProductFunction": (1, "GetItem"),
    "PutClientFunction": (2, "one transaction (client, event); BatchGetItem of client and usage for the answer"),
    "GetClientFunction": (1, "BatchGetItem of the client and its usage item"),
    "PutCouponFunction": (
        2,
        "one transaction for a new coupon; replacing one (the sample) also needs the stored uses for the answer:"
        " the first transaction's failed condition returns them, the second keeps them",
    ),
    "GetCouponFunction": (1, "GetItem"),
    "TopUpClientCreditsFunction": (2, "one transaction (conditional ADD, event); BatchGetItem for the answer"),
    "IssueCreditTokensFunction": (1, "one transaction: tokens, event, portal check, LO availability check"),
    "ListCatalogAuditFunction": (1, "one Query page of the day's partition"),
    "CreatePlanPlayFunction": (
        3,
        "GetItem of the client policy (cached after), one transaction: play, checks, event; BatchGetItem of the"
        " rate-limit and quota counters for the RateLimit headers (strongly consistent: this admission counted)",
    ),
    "GetPlanPlayFunction": (
        3,
        "GetItem; BatchGetItem of the counters for the RateLimit headers (eventually consistent), after the"
        " client policy's GetItem (once per container: 2 warm)",
    ),
    "UpdatePlanPlayFunction": (
        4,
        "GetItem of the play (its owner for access, its lessons to check the change, and the whole play for the"
        " answer: a transaction answers nothing), one conditional transaction: update and event (a first"
        " completion adds its admission); BatchGetItem of the counters for the RateLimit headers, after the"
        " client policy's GetItem (once per container: 3 warm)",
    ),
    "ListPlanPlaysFunction": (
        3,
        "one Query page of the caller's plays (GSI); BatchGetItem of the counters (RateLimit), after the client"
        " policy's GetItem (once per container: 2 warm)",
    ),
    "GetUsageFunction": (1, "BatchGetItem of the client and its period's usage item"),
    "AssignPlanToUserFunction": (2, "one BatchGetItem (LO, user, active refs), one transaction"),
    "AssignPlanToGroupFunction": (2, "one BatchGetItem (LO, group), one transaction (the fan-out is async)"),
    "GetPlanFunction": (1, "GetItem"),
    "ListUserPlansFunction": (
        2,
        "one BatchGetItem (portal, user: access), one Query page of the user's plans on GSI1 (GSI3 with lo_id),"
        " ordered by due date in the sort key; with archived=true, the page where the active ones run out"
        " +1 Query of the archived partition",
    ),
    "UpdatePlanDueDateFunction": (
        3,
        "GetItem of the plan (its ids name the rest), BatchGetItem of the user, LO and portal (the email's"
        " names; a manager's access), one transaction (plan and its index keys, event); 2 with notify false"
        " when the caller is an admin or staff",
    ),
    "UnassignPlanFunction": (
        2,
        "GetItem of the plan (access: a manager +1 GetItem of the user), one transaction: archive, active ref,"
        " unassigned marker, event",
    ),
    "AssignPlanToUsersFunction": (
        2,
        "one BatchGetItem per 100 keys (portal, LO, each user with 2 active refs), one transaction per 100"
        " writes (4 a new plan): 500 users are 16 + 20 calls; a version 2 with begun enrolments +1 BatchGetItem",
    ),
    "GetGroupAssignmentFunction": (
        1,
        "one Query of the group assignment's partition: the assignment and its progress items (a page per MB)",
    ),
    # The enrolment routes' success paths are measured by enrolment_calls.py, which gives each minimum's reasons.
    "CreateEnrolmentFunction": (2, "one BatchGetItem (portal, LO, parent, user, active refs, coupon), one transaction"),
    "CreateStudentEnrolmentFunction": (3, "Query of the email index, one BatchGetItem, one transaction"),
    "CreateEnrolmentsFunction": (2, "one BatchGetItem per 100 keys of all items, one transaction per 100 writes"),
    "CreateStudentEnrolmentsFunction": (3, "Query of the email index, then as the caller's own many-LO create"),
    "UpdateEnrolmentFunction": (2, "GetItem, a transaction checking the LO; a manager or assessor +1 BatchGetItem"),
    "GetEnrolmentFunction": (1, "GetItem; a manager or assessor +1 BatchGetItem of the LO and learner"),
    "ListEnrolmentHistoryFunction": (2, "GetItem (access), one Query page; a manager or assessor +1 BatchGetItem"),
    "ListUserEnrolmentsFunction": (
        2,
        "one BatchGetItem (portal, user: a manager's access), one Query page of one index: every filter"
        " combination is a key prefix (GSI1 by state, status, LO; GSI2 by LO), no FilterExpression",
    ),
    "GetActiveEnrolmentFunction": (
        2,
        "one BatchGetItem (portal, user, the active ref), GetItem of the enrolment; an assessor +1 BatchGetItem",
    ),
    "WithdrawEnrolmentFunction": (
        2,
        "one strongly consistent Query per enrolment of the tree (the enrolment and its child records), one"
        " transaction (each archived, its active ref deleted, the event); a manager +1 GetItem of the user",
    ),
    "CreateSubscriptionPlanFunction": (
        2,
        "one BatchGetItem: the company (API key) and the plan's products (prices, currency); one transaction:"
        " plan, listing items, event",
    ),
    "GetSubscriptionPlanFunction": (1, "one BatchGetItem: the company (API key) and the plan"),
    "UpdateSubscriptionPlanFunction": (
        2,
        "one BatchGetItem: the company (API key) and the plan (the change is merged into it, its listing items"
        " move); one transaction conditional on its version",
    ),
    "DeleteSubscriptionPlanFunction": (
        2,
        "one BatchGetItem: the company (API key) and the plan (its listing items move to the deleted state);"
        " one transaction conditional on its version",
    ),
    "ListSubscriptionPlansFunction": (
        3,
        "one Query per merged list (basic, and recurring or the caller's own orders), then one BatchGetItem of"
        " the company (API key) and the page's plans (listing items hold keys only)",
    ),
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


Row = tuple[str, str, int, Usage]  # function, label, status, usage


class SuccessPaths:
    """Requests made on the demo seed to reach the success paths the sample events miss."""

    def __init__(self, gateway: Gateway, stack: LocalStack) -> None:
        self.gateway = gateway
        self.stack = stack
        self.rows: list[Row] = []

    def measure(
        self, function: str, method: str, path: str, headers: dict[str, str], body: Any = None, *, label: str = ""
    ) -> Any:
        payload = json.dumps(body) if body is not None else None
        with metered() as usage:
            answer = self.gateway.handle(method, path, headers, payload)
        self.stack.drain()
        self.rows.append((function, f"{method} {label or path} (demo seed)", answer.status, usage))
        return answer.json()

    def given(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        """A request that sets a scenario up, not counted."""
        answer = self.gateway.handle(method, path, headers, json.dumps(body) if body is not None else None)
        self.stack.drain()
        assert answer.status < 300, f"{method} {path}: {answer.status} {answer.body}"
        return answer.json()


def _bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}", **extra}


def _success_paths(paths: SuccessPaths) -> None:
    admin = _bearer(tokens.token("u-admin", roles={"p-acme": ["admin"]}))
    assign = {"status": 1, "notify": False}
    answer = paths.measure(
        "AssignPlanToUserFunction", "POST", "/enrolment/plan/p-acme/lo-course/user/u-learner", admin, assign
    )
    plan_id = answer["id"]
    group = paths.measure(
        "AssignPlanToGroupFunction", "POST", "/enrolment/plan/p-acme/lo-video/group/g-sales", admin, assign
    )
    progress = f"/enrolment/plan/group-assignment/{group['id']}"
    paths.measure("GetGroupAssignmentFunction", "GET", progress, admin, label="/enrolment/plan/group-assignment/{id}")
    paths.measure("GetPlanFunction", "GET", f"/enrolment/plan/{plan_id}", admin, label="/enrolment/plan/{instance}")
    paths.measure("ListUserPlansFunction", "GET", "/enrolment/plan/p-acme/user/u-learner", admin)
    due = {"due_date": "2031-01-01T00:00:00Z", "notify": False}
    plan_path = f"/enrolment/plan/{plan_id}"
    paths.measure("UpdatePlanDueDateFunction", "PATCH", plan_path, admin, due, label="/enrolment/plan/{instance}")
    emailed = {"due_date": "2031-02-01T00:00:00Z"}
    paths.measure(
        "UpdatePlanDueDateFunction", "PATCH", plan_path, admin, emailed, label="/enrolment/plan/{instance} email"
    )
    many = {"user_ids": ["u-learner", "u-learner-2", "u-manager"], "status": 1, "notify": False}
    paths.measure("AssignPlanToUsersFunction", "POST", "/enrolment/plan/p-acme/lo-paid/users", admin, many)
    paths.measure("UnassignPlanFunction", "DELETE", plan_path, admin, label="/enrolment/plan/{instance}")

    # Everyday enrolment routes: the learner's list and active enrolment, the admin withdraws it.
    own = _bearer(tokens.token("u-learner", roles={"p-acme": ["learner"]}))
    enrolled = paths.given("POST", "/enrolment/p-acme/0/lo-video/enrolment/in-progress", own, {"notify": False})
    paths.measure("ListUserEnrolmentsFunction", "GET", "/enrolment/p-acme/user/u-learner/enrolments", own)
    paths.measure("GetActiveEnrolmentFunction", "GET", "/enrolment/p-acme/lo/lo-video/user/u-learner", own)
    paths.measure(
        "WithdrawEnrolmentFunction",
        "DELETE",
        f"/enrolment/enrolment/{enrolled['id']}",
        admin,
        label="/enrolment/enrolment/{enrolmentId}",
    )

    staff = _bearer(tokens.staff())
    paths.measure("GetUserFunction", "GET", "/admin/portals/p-acme/users/u-learner", staff)

    # A plan play of the seed's API client, then its owner reads it and records progress.
    learner = _bearer(tokens.token("u-learner", client_id=DEMO_CLIENT, roles={"p-acme": ["learner"]}))
    play = paths.given("POST", "/api/plan-plays", learner, {"planId": "plan-1", "plannedLessons": ["l1", "l2", "l3"]})
    play_path = f"/api/plan-plays/{play['data']['id']}"
    paths.measure("GetPlanPlayFunction", "GET", play_path, learner, label="/api/plan-plays/{planPlayId}")
    progress = {"currentLessonIndex": 1, "completedLessons": ["l1"]}
    paths.measure(
        "UpdatePlanPlayFunction", "PATCH", play_path, learner, progress, label="/api/plan-plays/{planPlayId} progress"
    )

    # The seed's company: an admin of it, with its API key, creates, reads, lists, changes
    # and deletes a plan (the sample events carry a key the seed's company does not hold).
    company = _bearer(
        tokens.token("admin-1", email="admin-1@example.com", company={"id": DEMO_COMPANY, "admin": True}),
        **{"X-Share-Api-Key": DEMO_COMPANY_API_KEY},
    )
    create = json.loads(_sample("CreateSubscriptionPlanFunction")["body"])
    created = paths.measure("CreateSubscriptionPlanFunction", "POST", "/plans", company, {**create, "static": False})
    plan_path = f"/plans/{created['_id']['$oid']}"
    paths.measure("GetSubscriptionPlanFunction", "GET", plan_path, company, label="/plans/{plan_id}")
    listing = "/plans?size=50&page=1&sorting=-created&include_deleted=false"
    paths.measure("ListSubscriptionPlansFunction", "GET", listing, company)
    change = json.loads(_sample("UpdateSubscriptionPlanFunction")["body"])
    paths.measure("UpdateSubscriptionPlanFunction", "PUT", plan_path, company, change, label="/plans/{plan_id}")
    paths.measure("DeleteSubscriptionPlanFunction", "DELETE", plan_path, company, label="/plans/{plan_id}")


def _sample(function: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((REPO / "events" / f"{function}.json").read_text())
    return sample


def main() -> None:
    # The functions' log lines (to stdout, bound when each is first imported) are not figures.
    quiet = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    with mock_aws(), contextlib.redirect_stdout(quiet):
        forget_warm_containers()  # each function's first request is counted, as in a lone run
        stack = LocalStack().create()
        gateway = Gateway(stack)
        load_seed(DEMO_SEED, gateway, tokens.staff())
        stack.drain()
        rows: list[Row] = []
        routes = stack.template.routes()
        for route in reversed(routes):  # template order, roughly: PUTs before GETs
            method, path, headers, body = _request_of(_sample(route.function))
            with metered() as usage:
                answer = gateway.handle(method, path, headers, body)
            stack.drain()
            rows.append((route.function, f"{route.method} {route.path}", answer.status, usage))
        paths = SuccessPaths(gateway, stack)
        _success_paths(paths)
        rows += paths.rows
    width = max(len(r[1]) for r in rows)
    print(f"{'route'.ljust(width)}  status  calls  min  RCU   WCU   operations  |  minimum: why")
    at_minimum = 0
    succeeded: set[str] = set()
    for function, label, status, usage in rows:
        minimum, why = MINIMUM.get(function, (0, "not yet analysed"))
        flag = "" if usage.total <= minimum or not minimum else "  <-- above minimum"
        print(
            f"{label.ljust(width)}  {status:>6}  {usage.total:>5}  {minimum:>3}  {usage.read_units:4.1f}"
            f"  {usage.write_units:4.1f}  {usage.operations()}  |  {why}{flag}"
        )
        if 200 <= status < 300:
            succeeded.add(function)
            at_minimum += usage.total <= minimum
    successes = sum(1 for r in rows if 200 <= r[2] < 300)
    print(
        f"\n{at_minimum} of {successes} successful requests make the minimum number"
        " of calls (a 4xx answer is counted on its refusal path, shown for completeness)"
    )
    missing = sorted({r.function for r in routes} - succeeded)
    print(f"routes whose success path is not counted here: {', '.join(missing) or 'none'}")


if __name__ == "__main__":
    main()
