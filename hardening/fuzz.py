"""Requests generated from the OpenAPI document, sent through the in-process API Gateway.

Every operation of the document gets requests with every actor's token, path parameters
that are either generated from their schema or the ids of real objects (so requests get
past the look-ups), generated query parameters, and bodies that are valid per the schema,
valid-looking with a wrong type, or raw garbage. Each answer is checked: no 5xx, the
status is documented, the body is JSON of the documented shape, the request id is there,
and no outsider sees a home object.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from hardening.matrix import CASES
from hardening.schema import ANY_JSON, Schemas
from hardening.world import ACTORS, BAD_TOKENS, PORTAL, World

# (actor, concrete path, JSON body or None, raw body or None)
Request = tuple[str, str, Any, str | bytes | None]
METHODS = ("get", "put", "post", "patch", "delete")


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# Bodies no client library would send: every route with a body gets each of them.
GARBAGE_BODIES: tuple[str | bytes, ...] = (
    "",
    "not json",
    "{",
    "null",
    "[]",
    "0",
    '"a string"',
    "true",
    '{"a": 1, "a": 2}',
    "{}\x00",
    '{"name": "\x00\x00"}',
    "\x00" * 64,
    b"\xff\xfe\x00garbage",
    "x" * 1_000_000,
    json.dumps({"name": "y" * 300_000, "title": "y" * 300_000, "planId": "y" * 300_000}),
    _deep(100),
    _deep(5_000),
    '{"a":' * 3000 + "1" + "}" * 3000,
    json.dumps({"status": 1e308, "amount": -(10**40), "count": 10**30, "discount": float("1e-320")}),
    '{"status": NaN, "amount": Infinity}',
    json.dumps([{"items": [{"loId": "i1"}] * 1000}]),
)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return list(self.spec.get("parameters", []))

    @property
    def body_schema(self) -> dict[str, Any] | None:
        body = self.spec.get("requestBody")
        if not body:
            return None
        schema: dict[str, Any] = body["content"]["application/json"]["schema"]
        return schema

    @property
    def documented(self) -> set[int]:
        return {int(code) for code in self.spec.get("responses", {}) if code.isdigit()}

    def error_schema(self, status: int) -> dict[str, Any] | None:
        answer = self.spec.get("responses", {}).get(str(status))
        if not answer or "content" not in answer:
            return None
        schema: dict[str, Any] = answer["content"]["application/json"]["schema"]
        return schema


def operations(document: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method.upper(), path, spec)
        for path, item in sorted(document["paths"].items())
        for method, spec in item.items()
        if method in METHODS
    ]


@dataclass
class Tally:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    undocumented: list[str] = field(default_factory=list)
    wrong_shape: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    successes_undocumented: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)

    def merge(self, other: Tally) -> None:
        self.requests += other.requests
        self.server_errors += other.server_errors
        self.undocumented += other.undocumented
        self.wrong_shape += other.wrong_shape
        self.leaks += other.leaks
        self.successes_undocumented |= other.successes_undocumented
        self.statuses.update(other.statuses)


def _interesting_ids(world: World) -> list[str]:
    return [PORTAL, "acme.example.com", "p-other", "c1", "i1", "m1", "oc1", "u1", "u2", "self", "g1", "0",
            "c-home", "c-other", "HALF", "u1@example.com", "in-progress", "completed", "expired",
            *world.ids.values()]  # fmt: skip


# Actors allowed to see each home object; any other actor's success showing its id is a leak.
SECRET_KEEPERS = {
    "plan": {"learner", "other_client", "manager", "admin", "staff"},
    "enrolment": {"learner", "other_client", "manager", "admin", "assessor", "staff"},
    "plan_play": {"learner", "staff"},
    "subscription_plan": {"learner", "other_learner", "manager", "admin"},
    "payment_method": {"learner"},
    **{kind: {"learner", "admin"} for kind in ("subscription", "invoice", "payment", "order")},
}
STAFF_ONLY = {(c.method, c.route) for c in CASES if set(c.allowed) == {"staff"}}

# The kind of object each path slot of the document names. The fuzzer puts any world id in any
# slot, so staff's `PUT /admin/portals/{order id}` makes a portal of that id and answers it: the
# order's id is shown back, but as the portal's name the caller chose, not as the order. Such an
# echo is no leak when every slot that carried the id is of a kind with no home secret (a name
# the caller picks: portal, client, lo...). A slot of a secret kind (`GET /orders/{invoice id}`),
# a slot not listed here, or the id also in the query or body: the check still counts it.
SLOT_KINDS = {
    "planId": "plan",
    "enrolmentId": "enrolment",
    "planPlayId": "plan_play",
    "plan_id": "subscription_plan",
    "method_id": "payment_method",
    "subscription_id": "subscription",
    "invoice_id": "invoice",
    "payment_id": "payment",
    "order_id": "order",
    **dict.fromkeys(("portalId", "instance"), "portal"),
    **dict.fromkeys(("loId", "parentLoId"), "lo"),
    **dict.fromkeys(("userId", "user_id", "studentEmail"), "user"),
    "clientId": "client",
    "companyId": "company",
    "productId": "product",
    "groupId": "group",
    "code": "coupon",
    "day": "day",
    "status": "status",
    "statusOrEmail": "status or user",
}


class Fuzzer:
    def __init__(self, world: World, document: dict[str, Any]) -> None:
        self.world = world
        self.schemas = Schemas(document)
        self.operations = operations(document)
        self.ids = _interesting_ids(world)

    # --- requests ------------------------------------------------------------------------------------

    def _parameter(self, parameter: dict[str, Any]) -> st.SearchStrategy[str]:
        generated = self.schemas.values(parameter.get("schema", {})).map(
            lambda v: json.dumps(v) if not isinstance(v, str) else v
        )
        if parameter["in"] == "path":
            return st.one_of(st.sampled_from(self.ids), generated.filter(lambda v: v not in ("", ".", "..")))
        return generated

    def request(self, operation: Operation) -> st.SearchStrategy[Request]:
        """(actor, concrete path, json body or None, raw body or None)."""

        @st.composite
        def build(draw: st.DrawFn) -> Request:
            actor = draw(st.sampled_from(ACTORS))
            path = operation.path
            query: dict[str, str] = {}
            for parameter in operation.parameters:
                value = draw(self._parameter(parameter))
                if parameter["in"] == "path":
                    path = path.replace("{" + parameter["name"] + "}", quote(value, safe="@") or "x")
                elif parameter["in"] == "query" and (parameter.get("required") or draw(st.booleans())):
                    query[parameter["name"]] = value
            if query:
                path += "?" + urlencode(query)
            body: Any = None
            raw: str | bytes | None = None
            schema = operation.body_schema
            if schema is not None:
                kind = draw(st.sampled_from(("valid", "valid", "valid", "any", "garbage")))
                if kind == "valid":
                    body = draw(self.schemas.values(schema))
                elif kind == "any":
                    body = draw(ANY_JSON)
                else:
                    raw = draw(st.sampled_from(GARBAGE_BODIES))
            return actor, path, body, raw

        return build()

    # --- checks ------------------------------------------------------------------------------------------

    def send(self, operation: Operation, request: Request, tally: Tally) -> None:
        actor, path, body, raw = request
        answer = self.world.call(actor, operation.method, path, body, raw=raw)
        tally.requests += 1
        tally.statuses[answer.status] += 1
        label = f"{operation.method} {path[:120]} as {actor} -> {answer.status}"
        if answer.status >= 500:
            tally.server_errors.append(f"{label}: {answer.body[:200]}")
            return
        if not answer.header("x-amzn-RequestId"):
            tally.wrong_shape.append(f"{label}: no request id")
        if 200 <= answer.status < 300:
            if answer.status not in operation.documented:
                tally.successes_undocumented.add(f"{operation.method} {operation.path}")
            self._check_leak(operation, request, label, answer.body, tally)
            return
        if answer.status not in operation.documented:
            tally.undocumented.append(f"{label}: {answer.body[:200]}")
            return
        schema = operation.error_schema(answer.status)
        try:
            parsed = json.loads(answer.body)
        except ValueError:
            tally.wrong_shape.append(f"{label}: not JSON {answer.body[:120]!r}")
            return
        problems = self.schemas.problems(schema, parsed) if schema else []
        if problems:
            tally.wrong_shape.append(f"{label}: {problems[:3]} {answer.body[:120]}")

    def _check_leak(self, operation: Operation, request: Request, label: str, body: str, tally: Tally) -> None:
        actor = request[0]
        route = f"route {operation.method} {operation.path}"
        if actor in BAD_TOKENS:
            tally.leaks.append(f"{label}: a bad token got an answer ({route}) {body[:200]}")
        elif (operation.method, operation.path) in STAFF_ONLY and actor != "staff":
            tally.leaks.append(f"{label}: a staff-only route answered a non-staff caller ({route}) {body[:200]}")
        else:
            for name, keepers in SECRET_KEEPERS.items():
                secret = self.world.ids[name]
                if actor not in keepers and secret in body and not _echoed(operation, request, secret):
                    tally.leaks.append(
                        f"{label}: shows the home {name} {secret} ({route}; sent {_sent(request)}) "
                        f"...{_around(body, secret)}..."
                    )

    # --- running ---------------------------------------------------------------------------------------------

    def fuzz(self, operation: Operation, examples: int, seed: int | None = None) -> Tally:
        """`examples` requests; the same ones every run unless a `seed` is given."""
        tally = Tally()

        @settings(
            max_examples=examples,
            database=None,
            deadline=None,
            derandomize=seed is None,
            suppress_health_check=list(HealthCheck),
            phases=[p for p in __import__("hypothesis").Phase if p.name in ("explicit", "generate")],
        )
        @given(self.request(operation))
        def one(request: Request) -> None:
            self.send(operation, request, tally)

        (hypothesis_seed(seed)(one) if seed is not None else one)()
        return tally

    def garbage(self, operation: Operation) -> Tally:
        """Every garbage body, with a valid token, on a route with a body."""
        tally = Tally()
        if operation.body_schema is None:
            return tally
        path = operation.path
        for parameter in operation.parameters:
            if parameter["in"] == "path":
                path = path.replace("{" + parameter["name"] + "}", "i1")
        for actor in ("staff", "admin", "learner"):
            for raw in GARBAGE_BODIES:
                self.send(operation, (actor, path, None, raw), tally)
        return tally


def path_slots(route: str, path: str) -> dict[str, str]:
    """The value the concrete path sent in each `{slot}` of the route."""
    names, values = route.split("/"), urlsplit(path).path.split("/")
    if len(names) != len(values):
        return {}
    return {n[1:-1]: unquote(v) for n, v in zip(names, values, strict=True) if n.startswith("{") and n.endswith("}")}


def _echoed(operation: Operation, request: Request, secret: str) -> bool:
    """The request itself named `secret`, only in path slots of kinds with no home secret (see SLOT_KINDS)."""
    _actor, path, body, raw = request
    kinds = [SLOT_KINDS.get(slot) for slot, value in path_slots(operation.path, path).items() if value == secret]
    if not kinds or any(kind is None or kind in SECRET_KEEPERS for kind in kinds):
        return False
    sent = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw or ""
    return secret not in urlsplit(path).query + sent + (json.dumps(body) if body is not None else "")


def _sent(request: Request) -> str:
    _actor, _path, body, raw = request
    sent = raw if raw is not None else json.dumps(body)
    return repr(sent[:160])


def _around(body: str, needle: str, width: int = 120) -> str:
    at = body.find(needle)
    return body[max(0, at - width) : at + len(needle) + width]
