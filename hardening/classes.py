"""The classes of hostile input issue 12 found, each sent as a class on every route it
applies to (docs/product.md "Errors and bad input"), and the race of a client's policy change against its
consumption and top-ups (docs/product.md "Catalog").

- huge numbers: JSON integers beyond Python's 4,300-digit limit, in every route's body;
- forged cursors: key-shaped objects of strings, other JSON, other text, on every list;
- hostile path ids: over-long, dot, markup, quote, emoji, encoded slash, bad UTF-8, in
  every path slot of every route;
- wrong-typed claims: validly signed tokens whose claims have the wrong types, on every route.

Every answer goes through `Fuzzer.send` (no 5xx, documented, JSON of the documented shape);
a wrong-typed token must also be refused (401, or 403 on the Go1 routes).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlencode

from hardening.fuzz import Fuzzer, Operation, Tally
from hardening.world import World
from planhub_local import tokens

HUGE = "9" * 5000
HUGE_BODIES = (
    HUGE,
    "-" + HUGE,
    '{"name": ' + HUGE + "}",
    '{"items": [{"loId": ' + HUGE + "}]}",
    '{"policy": {"credits": {"balance": ' + HUGE + "}}}",
    '{"amount": ' + HUGE + ', "status": 1}',
    "[1, 2, " + HUGE + "]",
)


def _b64(document: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


FORGED_CURSORS = (
    _b64({"PK": "x", "SK": "y"}),
    _b64({"a": "b"}),
    _b64({"PK": "ENROLMENT#1", "SK": "HISTORY#" + "x" * 1100}),
    _b64({"PK": "p" * 2100, "SK": "s"}),
    _b64({"PK": "", "SK": ""}),
    _b64({"PK": "\ud800", "SK": "y"}),
    _b64({"PK": 1, "SK": 2}),
    _b64({"PK": "x", "SK": "y", "GSI1PK": "z", "GSI1SK": "w"}),
    _b64({"PK": "x", "SK": "y", "GSI2PK": "z", "GSI2SK": "w"}),
    _b64(["PK", "SK"]),
    _b64(None),
    base64.urlsafe_b64encode(b'{"PK": ' + HUGE.encode() + b"}").decode(),
    base64.urlsafe_b64encode(b"[" * 1500).decode(),
    "not-base64!",
    "%%%",
    "x" * 2048,
)

HOSTILE_IDS = (
    "a" * 2100,
    "u" * 1100,
    "a" * 129,
    "..",
    ".",
    "%2e%2e",
    "<script>alert(1)</script>",
    "%3Cscript%3E",
    "a'b",
    "a%22b",
    "\U0001f600",
    "%F0%9F%98%80",
    "a%2Fb",
    "a%00b",
    "%ff%fe",
    "a%20b",
    "a%23b",
    "-1",
    "1" * 20,
)


def _wrong_typed_claims() -> dict[str, str]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": "staff-1", "iat": now, "exp": now + 3600, "staff": True}
    variants: dict[str, dict[str, Any]] = {
        "staff 'true'": {"staff": "true"},
        "staff 1": {"staff": 1},
        "sub 42": {"sub": 42},
        "sub []": {"sub": ["staff-1"]},
        "roles list": {"staff": False, "roles": ["p-acme"]},
        "roles 'admin'": {"staff": False, "roles": {"p-acme": "admin"}},
        "company admin 'true'": {"staff": False, "company": {"id": "5a0000000000000000000001", "admin": "true"}},
        "client_id 1": {"client_id": 1},
        "exp '9999999999'": {"exp": "9999999999"},
    }
    return {name: tokens.sign({**base, **change}) for name, change in variants.items()}


def _concrete(operation: Operation, value: str = "i1", slot: int | None = None, hostile: str = "") -> str:
    path = operation.path
    for index, name in enumerate(re.findall(r"\{\w+\}", operation.path)):
        if index == slot:
            text = quote(hostile, safe="%'<>")
        elif name in ("{plan_id}", "{planPlayId}"):
            text = "0123456789abcdef01234567"
        elif name in ("{enrolmentId}", "{planId}"):
            text = "1"
        else:
            text = value
        path = path.replace(name, text, 1)
    return path


def _huge_numbers(fuzzer: Fuzzer, operation: Operation, tally: Tally) -> None:
    if operation.body_schema is None:
        return
    for actor in ("staff", "learner"):
        for raw in HUGE_BODIES:
            fuzzer.send(operation, (actor, _concrete(operation), None, raw), tally)


def _forged_cursors(world: World, fuzzer: Fuzzer, operation: Operation, tally: Tally) -> None:
    if not any(p["name"] == "cursor" for p in operation.parameters):
        return
    path = operation.path.replace("{enrolmentId}", world.ids["enrolment"])
    path = path.replace("{day}", time.strftime("%Y-%m-%d", time.gmtime()))
    for actor in ("staff", "learner"):
        for cursor in FORGED_CURSORS:
            fuzzer.send(operation, (actor, f"{path}?{urlencode({'cursor': cursor})}", None, None), tally)


def _hostile_path_ids(fuzzer: Fuzzer, operation: Operation, tally: Tally) -> None:
    body: dict[str, Any] | None = {} if operation.body_schema is not None else None
    for slot in range(len(re.findall(r"\{\w+\}", operation.path))):
        for hostile in HOSTILE_IDS:
            fuzzer.send(operation, ("staff", _concrete(operation, slot=slot, hostile=hostile), body, None), tally)


def _wrong_typed(world: World, operation: Operation, actors: list[str], tally: Tally) -> None:
    body: dict[str, Any] | None = {} if operation.body_schema is not None else None
    refused = 403 if operation.path.startswith("/enrolment") else 401  # the Go1 routes answer 403
    for actor in actors:
        answer = world.call(actor, operation.method, _concrete(operation), body)
        tally.requests += 1
        tally.statuses[answer.status] += 1
        label = f"{operation.method} {operation.path} as {actor} -> {answer.status}"
        if answer.status >= 500:
            tally.server_errors.append(label)
        elif answer.status != refused:
            tally.leaks.append(f"{label}: a wrong-typed claim was not refused")


def hostile_classes(world: World, fuzzer: Fuzzer) -> dict[str, Tally]:
    """Each class on every operation it applies to; a Tally per class."""
    tallies = {name: Tally() for name in ("huge numbers", "forged cursors", "hostile path ids", "wrong-typed claims")}
    wrong_typed = []
    for name, token in _wrong_typed_claims().items():
        wrong_typed.append(f"wrong-typed claim: {name}")
        world.tokens[wrong_typed[-1]] = token
    for operation in fuzzer.operations:
        _huge_numbers(fuzzer, operation, tallies["huge numbers"])
        _forged_cursors(world, fuzzer, operation, tallies["forged cursors"])
        _hostile_path_ids(fuzzer, operation, tallies["hostile path ids"])
        _wrong_typed(world, operation, wrong_typed, tallies["wrong-typed claims"])
    return tallies


RACE_CLIENT = "c-policy-race"


def policy_change_race(world: World, *, creates: int = 60, top_ups: int = 20, puts: int = 20) -> dict[str, int]:
    """Creates (1 credit each), top-ups (7 each) and policy PUTs carrying a stale opening
    balance, all at once on one client: the balance must end at opening + top-ups - creates.
    Answers the race's figures; `credits lost` must be 0."""
    opening = 1000
    staff = world.tokens["staff"]
    learner = tokens.token("u-race", client_id=RACE_CLIENT)
    policy = {"credits": {"balance": opening, "per_create": 1, "per_completion": 5}}
    answer = world.api.put(f"/admin/clients/{RACE_CLIENT}", {"name": RACE_CLIENT, "policy": policy}, token=staff)
    assert answer.status == 200, answer.body

    def create(_: int) -> tuple[str, int]:
        return "create", world.api.post("/api/plan-plays", {"planId": "plan-race"}, token=learner).status

    def top_up(_: int) -> tuple[str, int]:
        body = {"amount": 7}
        return "top-up", world.api.post(f"/admin/clients/{RACE_CLIENT}/credits", body, token=staff).status

    def put_policy(n: int) -> tuple[str, int]:
        body = {"name": RACE_CLIENT, "policy": {"credits": {**policy["credits"], "per_completion": n}}}
        return "put", world.api.put(f"/admin/clients/{RACE_CLIENT}", body, token=staff).status

    jobs: list[tuple[Callable[[int], tuple[str, int]], int]] = [(create, n) for n in range(creates)]
    jobs += [(top_up, n) for n in range(top_ups)] + [(put_policy, n) for n in range(puts)]
    jobs = jobs[::3] + jobs[1::3] + jobs[2::3]  # interleaved
    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(lambda job: job[0](job[1]), jobs))
    created = sum(1 for kind, status in outcomes if kind == "create" and status == 201)
    topped = sum(1 for kind, status in outcomes if kind == "top-up" and status == 200)
    server_errors = sum(1 for _, status in outcomes if status >= 500)
    balance = int(world.api.get(f"/admin/clients/{RACE_CLIENT}", token=staff).json()["balance"])
    expected = opening + 7 * topped - created
    return {
        "requests": len(outcomes),
        "5xx": server_errors,
        "policy PUTs refused": sum(1 for kind, status in outcomes if kind == "put" and status != 200),
        "credits lost": abs(expected - balance),
    }


def class_rows(classes: dict[str, Tally], race: dict[str, int]) -> list[tuple[str, Any, Any, Any, Any]]:
    """The summary table's rows: (part, requests, 5xx, leaks, off-document)."""
    rows: list[tuple[str, Any, Any, Any, Any]] = [
        (name, t.requests, len(t.server_errors), len(t.leaks), len(t.undocumented) + len(t.wrong_shape))
        for name, t in classes.items()
    ]
    rows.append(("policy-change race", race["requests"], race["5xx"], 0, 0))
    return rows


def class_findings(classes: dict[str, Tally], race: dict[str, int]) -> list[str]:
    return [
        *(f"5xx ({n}): {x}" for n, t in classes.items() for x in t.server_errors),
        *(f"leak ({n}): {x}" for n, t in classes.items() for x in t.leaks),
        *(f"off-document ({n}): {x}" for n, t in classes.items() for x in t.undocumented + t.wrong_shape),
        *([f"5xx in the policy-change race: {race['5xx']}"] if race["5xx"] else []),
    ]
