"""DynamoDB calls of each enrolment route's success path, beside the minimum it needs and why.

    .venv/bin/python -m benchmarks.enrolment_calls

The local stack is loaded with seeds/demo.json through the admin API, plus a few records of
its own made the same way (text LOs, a second paid LO, a 100 % coupon, a credit token); then
each enrolment route is called with a request that succeeds, through the gateway as in the
tests. Events caused by a request are drained between requests and not counted. Calls are
counted by planhub_local.dynamodb_calls (benchmarks/_dynamodb.py). A Stripe charge goes through the
real gateway to the local Stripe test endpoint (127.0.0.1). Not a test: it prints, and asserts nothing.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from dataclasses import dataclass
from typing import Any

from planhub_local.stack import configure_process

configure_process()

from moto import mock_aws  # noqa: E402

from benchmarks._dynamodb import Usage, metered  # noqa: E402
from planhub_local import tokens  # noqa: E402
from planhub_local.gateway import Gateway  # noqa: E402
from planhub_local.seed import load_seed  # noqa: E402
from planhub_local.server import DEMO_SEED  # noqa: E402
from planhub_local.stack import LocalStack  # noqa: E402
from planhub_local.stripe_endpoint import start_for_local_stack  # noqa: E402

PORTAL = "p-acme"
PORTAL_NAME = "acme.example.com"
STUDENT_EMAIL = "margaret@acme.example.com"  # u-learner-2 of the demo seed
MANY = 40  # LOs of the large many-LO request

# Keys one plain item of a many-LO request reads (LO, active enrolment ref, active plan ref)
# and writes (enrolment, active ref, history entry, created event).
KEYS_PER_ITEM = 3
WRITES_PER_ITEM = 4


@dataclass
class Row:
    label: str
    status: int
    usage: Usage
    minimum: int
    why: str


class Bench:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.gateway = Gateway(stack)
        self.rows: list[Row] = []

    def call(self, method: str, path: str, token: str, body: Any = None) -> Any:
        """A request that is set-up, not measured."""
        answer = self.gateway.handle(method, path, _headers(token), json.dumps(body) if body is not None else None)
        self.stack.drain()
        if answer.status >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status} {answer.body}")
        return answer.json()

    def measure(self, label: str, request: tuple[str, str, str], body: Any = None, *, minimum: tuple[int, str]) -> Any:
        """One measured request: (method, path, token), with the minimum it needs and why."""
        method, path, token = request
        payload = json.dumps(body) if body is not None else None
        with metered() as usage:
            answer = self.gateway.handle(method, path, _headers(token), payload)
        self.stack.drain()  # what the request's events cause is not the request's cost
        self.rows.append(Row(label, answer.status, usage, *minimum))
        return answer.json() if answer.body else None

    def report(self) -> None:
        width = max(len(r.label) for r in self.rows)
        print(f"{'request'.ljust(width)}  status  calls  min  RCU   WCU   operations  |  minimum: why")
        at_minimum = 0
        for row in self.rows:
            flag = "" if row.usage.total <= row.minimum else "  <-- above minimum"
            at_minimum += row.usage.total <= row.minimum
            print(
                f"{row.label.ljust(width)}  {row.status:>6}  {row.usage.total:>5}  {row.minimum:>3}"
                f"  {row.usage.read_units:4.1f}  {row.usage.write_units:5.1f}  {row.usage.operations()}"
                f"  |  {row.why}{flag}"
            )
        print(f"\n{at_minimum} of {len(self.rows)} requests make the minimum number of calls")


def _headers(token: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


def _create(parent_lo: str, lo_id: str, status: str, parent_enrolment: int | None = None) -> str:
    path = f"/enrolment/{PORTAL}/{parent_lo}/{lo_id}/enrolment/{status}"
    return path if parent_enrolment is None else f"{path}?parentEnrolmentId={parent_enrolment}"


def _given(bench: Bench, staff: str) -> str:
    """Records beyond the demo seed; answers a credit token for lo-paid."""
    for index in range(MANY + 3):
        text: dict[str, Any] = {"portal": PORTAL, "type": "text", "title": f"Reading {index}", "children": []}
        bench.call("PUT", f"/admin/los/lo-text-{index}", staff, text)
    paid = {"amount": 1000, "currency": "USD"}
    course = {"portal": PORTAL, "type": "course", "title": "Negotiation", "children": [], "price": paid}
    bench.call("PUT", "/admin/los/lo-paid-2", staff, course)
    bench.call("PUT", "/admin/coupons/FREE100", staff, {"portal": PORTAL, "discount": 1.0})
    issued = bench.call("POST", f"/admin/portals/{PORTAL}/credit-tokens", staff, {"lo_id": "lo-paid", "count": 1})
    return str(issued["tokens"][0])


def scenario(bench: Bench) -> None:
    staff = tokens.staff()
    learner = tokens.token("u-learner", roles={PORTAL: ["learner"]})
    learner_2 = tokens.token("u-learner-2", roles={PORTAL: ["learner"]})
    admin = tokens.token("u-admin", roles={PORTAL: ["admin"]})
    manager = tokens.token("u-manager", roles={PORTAL: ["manager"]})
    credit_token = _given(bench, staff)

    one = "BatchGetItem (portal by id and by name, LO, user, active enrolment and plan refs), one transaction"
    own = ("POST", _create("0", "lo-course", "in-progress"), learner)
    course = bench.measure("create one LO, own, no parent", own, {}, minimum=(2, one))["id"]
    module = bench.measure(
        "create one LO, own, under a parent enrolment",
        ("POST", _create("lo-course", "lo-module", "in-progress", course), learner),
        {},
        minimum=(
            2,
            "as above: the parent LO and enrolment in the same BatchGetItem, the parent re-checked in the transaction",
        ),
    )["id"]
    bench.measure(
        "create one LO, own, portal named by its name",
        (
            "POST",
            f"/enrolment/{PORTAL_NAME}/lo-module/lo-video/enrolment/in-progress?parentEnrolmentId={module}",
            learner,
        ),
        {},
        minimum=(3, "a name is an alias of the portal's id: one more BatchGetItem for the keys that hold the id"),
    )
    bench.measure(
        "create one LO, own, already enrolled (answers the active id)",
        own,
        {},
        minimum=(1, "the BatchGetItem alone: the active enrolment ref answers"),
    )
    bench.measure(
        "create one LO for a student by email",
        ("POST", f"/enrolment/{PORTAL}/0/lo-course/enrolment/{STUDENT_EMAIL}/not-started", admin),
        {},
        minimum=(
            3,
            "Query of the email index (a user's key holds their id, not their email), BatchGetItem, one transaction",
        ),
    )
    items = [{"loId": "lo-quiz", "parentLoId": "lo-module", "parentEnrolmentId": module}, {"loId": "lo-text-0"}]
    items.append({"loId": "lo-text-1", "status": "not-started"})
    bench.measure(
        "create many LOs, own (3 LOs, one under a parent)",
        ("POST", f"/enrolment/{PORTAL}/enrolment", learner),
        {"items": items},
        minimum=(2, "one BatchGetItem for every item's keys (up to 100 keys), one transaction (up to 100 writes)"),
    )
    items = [{"loId": "lo-text-0"}, {"loId": "lo-text-1"}, {"loId": "lo-text-2"}]
    bench.measure(
        "create many LOs for a student by email (3 LOs)",
        ("POST", f"/enrolment/{PORTAL}/enrolment/{STUDENT_EMAIL}", admin),
        {"items": items},
        minimum=(3, "Query of the email index, one BatchGetItem, one transaction"),
    )
    many = [{"loId": f"lo-text-{index}"} for index in range(3, MANY + 3)]
    reads = math.ceil((3 + KEYS_PER_ITEM * MANY) / 100)
    writes = math.ceil(WRITES_PER_ITEM * MANY / 100)
    bench.measure(
        f"create many LOs, own ({MANY} LOs)",
        ("POST", f"/enrolment/{PORTAL}/enrolment", learner),
        {"items": many},
        minimum=(
            reads + writes,
            f"BatchGetItem per 100 keys ({3 + KEYS_PER_ITEM * MANY} keys), transaction per 100 writes"
            f" ({WRITES_PER_ITEM * MANY} writes)",
        ),
    )
    bench.measure(
        "create a paid LO with a 100% coupon",
        ("POST", _create("0", "lo-paid", "in-progress"), learner),
        {"coupon": "FREE100"},
        minimum=(
            2,
            "the coupon read in the BatchGetItem (its discount sets the price); its use counted in the transaction",
        ),
    )
    bench.measure(
        "create a paid LO with a 50% coupon and Stripe",
        ("POST", _create("0", "lo-paid-2", "in-progress"), learner),
        {"coupon": "WELCOME50", "paymentMethod": "stripe", "paymentOptions": {"token": "tok_visa"}},
        minimum=(2, "as above; the charge is made between the two calls"),
    )
    bench.measure(
        "create a paid LO with a credit token",
        ("POST", _create("0", "lo-paid", "in-progress"), learner_2),
        {"paymentMethod": "credit", "paymentOptions": {"token": credit_token}},
        minimum=(2, "the token is never read: its conditional update in the transaction refuses a used or foreign one"),
    )
    video = bench.call("POST", _create("0", "lo-text-0", "in-progress"), learner_2, {})["id"]
    bench.measure(
        "update: the learner changes the status of a text item",
        ("PUT", f"/enrolment/enrolment/{video}", learner_2),
        {"status": "pending"},
        minimum=(
            2,
            "GetItem of the enrolment (version, status, LO, learner), one transaction with the LO's type checked in it",
        ),
    )
    bench.measure(
        "update: the learner sets a note",
        ("PUT", f"/enrolment/enrolment/{video}", learner_2),
        {"note": "half way"},
        minimum=(2, "GetItem of the enrolment, one transaction (the claims decide: no LO or user needed)"),
    )
    bench.measure(
        "update: a portal admin changes the status",
        ("PUT", f"/enrolment/enrolment/{course}", admin),
        {"status": "pending"},
        minimum=(2, "GetItem of the enrolment, one transaction (an admin's claims decide)"),
    )
    bench.measure(
        "update: the learner's manager sets dueDate",
        ("PUT", f"/enrolment/enrolment/{course}", manager),
        {"dueDate": "2030-01-31T00:00:00Z"},
        minimum=(
            3,
            "GetItem of the enrolment, BatchGetItem of the LO (assessors) and learner (managers), one transaction",
        ),
    )
    bench.measure("get: the learner", ("GET", f"/enrolment/enrolment/{course}", learner), minimum=(1, "GetItem"))
    bench.measure(
        "get: the learner's manager",
        ("GET", f"/enrolment/enrolment/{course}", manager),
        minimum=(2, "GetItem, BatchGetItem of the LO and the learner (whether the caller is assessor or manager)"),
    )
    bench.measure(
        "history: the learner",
        ("GET", f"/enrolment/enrolment/{course}/history", learner),
        minimum=(2, "GetItem of the enrolment (who may see it), one Query page of its history"),
    )
    bench.measure(
        "history: the learner's manager",
        ("GET", f"/enrolment/enrolment/{course}/history", manager),
        minimum=(3, "as above, with the BatchGetItem of the LO and learner"),
    )


def main() -> None:
    # The functions' log lines (to stdout, bound when each is first imported) are not figures.
    quiet = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    with mock_aws(), contextlib.redirect_stdout(quiet):
        # Stripe charges go to the local Stripe test endpoint (they make no DynamoDB call).
        stripe = start_for_local_stack(port=0)
        try:
            stack = LocalStack().create()
            bench = Bench(stack)
            load_seed(DEMO_SEED, bench.gateway, tokens.staff())
            stack.drain()
            scenario(bench)
        finally:
            stripe.stop()
    bench.report()


if __name__ == "__main__":
    main()
