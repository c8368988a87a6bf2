"""Classes of hostile input, each tested as a class (docs/product.md "Errors and bad input"): every route with
a body, every cursor, every path id answers 2xx or a 4xx JSON error, never a 5xx."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planhub_local import tokens
from planhub_local.client import Api
from planhub_local.gateway import HttpResponse
from planhub_local.template import Template
from tests.conftest import Catalog

BODY_ROUTES = sorted(
    {(r.method, r.path) for r in Template.default().routes() if r.authorized and r.method in ("PUT", "POST", "PATCH")}
)
EXAMPLES = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck), derandomize=True
)


def concrete(path: str, value: str = "x1") -> str:
    return re.sub(r"\{\w+\}", value, path)


def assert_4xx_json(answer: HttpResponse, label: str = "") -> dict[str, Any]:
    assert 400 <= answer.status < 500, f"{label} -> {answer.status} {answer.body[:300]}"
    parsed = json.loads(answer.body)
    assert isinstance(parsed, dict) and (parsed.get("message") or parsed.get("error")), answer.body[:300]
    return parsed


# --- JSON integers beyond Python's int-string limit -------------------------------------------------------


def huge_integer(digits: int) -> str:
    return "9" * digits


def test_a_huge_json_integer_is_a_4xx_on_every_route_with_a_body(api: Api, staff_token: str) -> None:
    # Given every route that takes a body, a company API key API Gateway knows (the routes with
    # ApiKeyRequired refuse any other before the function reads the body), and a body holding a
    # 5,000-digit integer
    key = "share-key-hostile-input-0001"
    company = api.put(
        "/admin/companies/57ee9c71d76d431f8511142f", {"name": "Acme", "api_keys": [key]}, token=staff_token
    )
    assert company.status == 200, company.body
    raw = '{"name": ' + huge_integer(5000) + "}"

    for method, path in BODY_ROUTES:
        # When staff sends it
        answer = api.request(method, concrete(path), raw=raw, token=staff_token, headers={"X-Share-Api-Key": key})

        # Then a 4xx JSON error that says what is wrong, not a 500
        parsed = assert_4xx_json(answer, f"{method} {path}")
        assert "digits" in json.dumps(parsed), answer.body


@st.composite
def bodies_with_a_huge_integer(draw: st.DrawFn) -> str:
    """A JSON document with one integer longer than 4,300 digits somewhere inside it."""
    number = huge_integer(draw(st.integers(min_value=4301, max_value=20_000)))
    if draw(st.booleans()):
        number = "-" + number
    depth = draw(st.integers(min_value=0, max_value=5))
    document = number
    for _ in range(depth):
        key = draw(st.sampled_from(["name", "amount", "status", "items", "policy", "x"]))
        document = draw(st.sampled_from([f'{{"{key}": {document}}}', f"[{document}]", f'[1, "a", {document}]']))
    return document


@EXAMPLES
@given(route=st.sampled_from(BODY_ROUTES), raw=bodies_with_a_huge_integer())
def test_any_body_with_a_huge_integer_anywhere_is_a_4xx_json_error(
    api: Api, staff_token: str, route: tuple[str, str], raw: str
) -> None:
    method, path = route
    assert_4xx_json(api.request(method, concrete(path), raw=raw, token=staff_token), f"{method} {path}")


# --- claims of the wrong type ---------------------------------------------------------------------------------

WRONG_TYPED_CLAIMS: dict[str, st.SearchStrategy[Any]] = {
    "staff": st.sampled_from(["true", "True", "1", 1, 1.0, [True], {"staff": True}]),
    "sub": st.one_of(st.integers(), st.booleans(), st.lists(st.text(max_size=3), max_size=2), st.just("")),
    "roles": st.sampled_from([["p-acme"], "admin", {"p-acme": "admin"}, {"p-acme": [1]}, {"p-acme": ["root"]}]),
    "company": st.sampled_from(["co-1", {"id": 1}, {"id": "co-1", "admin": "true"}, {"id": "co-1", "admin": 1}]),
    "client_id": st.sampled_from([1, True, ["c1"], {"id": "c1"}]),
    "email": st.sampled_from([1, True, ["a@example.com"]]),
    "exp": st.sampled_from(["9999999999", [9999999999], {"at": 1}]),
}


def test_a_staff_claim_that_is_not_the_boolean_true_is_refused_at_the_gateway(api: Api) -> None:
    for staff in ("true", 1, "yes"):
        token = tokens.sign({"sub": "u-1", "exp": int(time.time()) + 60, "staff": staff})

        # When a caller claiming staff with a non-boolean asks for a staff-only record
        answer = api.get("/admin/portals/p-acme", token=token)

        # Then the authorizer refuses the token (401), it is never read as staff
        assert answer.status == 401, (staff, answer.status, answer.body)


@EXAMPLES
@given(data=st.data(), claim=st.sampled_from(sorted(WRONG_TYPED_CLAIMS)))
def test_a_token_with_any_wrong_typed_claim_is_refused(api: Api, data: st.DataObject, claim: str) -> None:
    # Given a token whose claims are right except one, of the wrong type
    claims: dict[str, Any] = {"sub": "staff-1", "exp": int(time.time()) + 60, "staff": True}
    claims[claim] = data.draw(WRONG_TYPED_CLAIMS[claim])
    token = tokens.sign(claims)

    # Then both families of routes refuse it: 401 on the admin API, 403 on the Go1 routes
    assert api.get("/admin/portals/p-acme", token=token).status == 401
    assert api.get("/enrolment/plan/1", token=token).status == 403


# --- cursors we did not give out ------------------------------------------------------------------------------


def b64(document: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


KEY_NAMES = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "x"]
FORGED_CURSORS = [
    b64({"PK": "x", "SK": "y"}),
    b64({"a": "b"}),
    b64({"PK": "ENROLMENT#1", "SK": "x" * 2000}),
    b64({"PK": "", "SK": ""}),
    b64({"PK": "\ud800", "SK": "y"}),
    b64({"PK": 1, "SK": 2}),
    b64(["PK", "SK"]),
    base64.urlsafe_b64encode(b'{"PK": ' + b"9" * 5000 + b"}").decode(),
    base64.urlsafe_b64encode(b"[" * 1500).decode(),
    "not-base64!",
    "%%%",
]


@st.composite
def forged_cursors(draw: st.DrawFn) -> str:
    """Key-shaped JSON objects of strings (the class the issue found), or any JSON, or any text."""
    kind = draw(st.sampled_from(["keys", "json", "text"]))
    if kind == "keys":
        names = draw(st.lists(st.sampled_from(KEY_NAMES), min_size=1, max_size=6, unique=True))
        values = st.one_of(st.text(max_size=40), st.text(min_size=1030, max_size=1100, alphabet="ab#"))
        return b64({name: draw(values) for name in names})
    if kind == "json":
        return b64(draw(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                                         st.sampled_from(KEY_NAMES), inner, max_size=4), max_leaves=8)))  # fmt: skip
    return draw(st.text(min_size=1, max_size=200))


class Lists:
    """One of each list with a cursor, as a caller allowed to read it."""

    def __init__(self, api: Api, given: Catalog) -> None:
        given.portal()
        given.user("u1")
        given.learning_object("c1")
        given.client("c-1")
        self.learner = tokens.token("u1", roles={"p-acme": ["learner"]}, client_id="c-1")
        created = api.post("/enrolment/p-acme/0/c1/enrolment/in-progress", {}, token=self.learner)
        assert created.status == 200, created.body
        enrolment = created.json()["id"]
        self.paths = {
            "enrolment history": (f"/enrolment/enrolment/{enrolment}/history", self.learner),
            "catalog audit": ("/admin/audit/2026-11-30", tokens.staff()),
            "plan plays": ("/api/plan-plays", self.learner),
        }


@pytest.fixture
def lists(api: Api, given: Catalog) -> Lists:
    return Lists(api, given)


def test_a_key_shaped_cursor_we_did_not_give_out_is_a_400_on_every_list(api: Api, lists: Lists) -> None:
    for name, (path, token) in lists.paths.items():
        for cursor in FORGED_CURSORS:
            answer = api.get(f"{path}?{urlencode({'cursor': cursor})}", token=token)

            assert answer.status == 400, (name, cursor[:40], answer.status, answer.body[:300])
            assert "cursor" in answer.body


@EXAMPLES
@given(cursor=forged_cursors())
def test_any_cursor_answers_2xx_or_a_4xx_json_error(api: Api, lists: Lists, cursor: str) -> None:
    for name, (path, token) in lists.paths.items():
        answer = api.get(f"{path}?{urlencode({'cursor': cursor})}", token=token)
        if answer.status >= 300:
            assert_4xx_json(answer, name)


# --- ids in paths ---------------------------------------------------------------------------------------------

ALL_ROUTES = sorted({(r.method, r.path) for r in Template.default().routes() if r.authorized})
HOSTILE_IDS = [
    "a" * 2100,  # over DynamoDB's 2,048-byte partition key
    "u" * 1100,  # over its 1,024-byte sort key
    "a" * 129,
    "..",
    ".",
    "%2e%2e",
    "<script>alert(1)</script>",
    "%3Cscript%3E",
    "a'b",
    'a"b',
    "a%22b",
    "\U0001f600",
    "%F0%9F%98%80",
    "a%2Fb",
    "a%00b",
    "%ff%fe",
    "a b",
    "a%20b",
    "#a",
    "a%23b",
    "-1",
    "0x10",
    "1" * 20,
]


def path_with(path: str, hostile: str, slot: int) -> str:
    """`path` with its `slot`th parameter set to `hostile` and the others to plausible ids."""
    names = re.findall(r"\{\w+\}", path)
    for index, name in enumerate(names):
        value = hostile if index == slot else ("1" if name.endswith(("enrolmentId}", "planId}")) else "x1")
        if name in ("{plan_id}", "{planPlayId}") and index != slot:
            value = "0123456789abcdef01234567"
        path = path.replace(name, quote(value, safe="%@:'\"<>!"), 1)
    return path


def test_a_hostile_id_in_any_path_slot_is_a_4xx_json_error(api: Api, staff_token: str) -> None:
    for method, path in ALL_ROUTES:
        for slot in range(len(re.findall(r"\{\w+\}", path))):
            for hostile in HOSTILE_IDS:
                concrete_path = path_with(path, hostile, slot)
                answer = api.request(method, concrete_path, body={}, token=staff_token)
                assert_4xx_json(answer, f"{method} {concrete_path[:80]}")


def test_an_id_too_long_for_a_key_is_a_400_naming_the_parameter(api: Api, staff_token: str) -> None:
    answer = api.put("/admin/portals/" + "a" * 2100, {"name": "n.example.com", "title": "t"}, token=staff_token)

    assert answer.status == 400, answer.body[:300]
    assert "portalId" in answer.json()["message"]


def test_a_percent_encoded_id_is_stored_decoded(api: Api, given: Catalog, staff_token: str) -> None:
    # When staff puts a portal whose id arrives percent-encoded
    answer = api.put("/admin/portals/p%2Dacme%3A1", {"name": "acme.example.com", "title": "t"}, token=staff_token)

    # Then it is stored under the decoded id, and read back by it either way
    assert answer.status == 200, answer.body
    assert answer.json()["id"] == "p-acme:1"
    assert api.get("/admin/portals/p-acme:1", token=staff_token).json()["id"] == "p-acme:1"


def test_an_enrolment_id_is_a_positive_integer_of_at_most_19_digits(api: Api, given: Catalog) -> None:
    # Given a learner (ids already issued go up to about 9.2e18, 19 digits)
    token = tokens.token("u1", roles={"p-acme": ["learner"]})
    for good in ("9223372036854775807", "9999999999999999999", "1"):
        assert api.get(f"/enrolment/enrolment/{good}", token=token).status == 404
    for bad in ("0", "-1", "+5", "05", "5.0", "5_0", "10000000000000000000", "1e3", "\u0665"):
        answer = api.get(f"/enrolment/enrolment/{quote(bad)}", token=token)
        assert answer.status == 400, (bad, answer.status, answer.body)
        assert "enrolmentId" in answer.json()["message"]


@EXAMPLES
@given(route=st.sampled_from(ALL_ROUTES), hostile=st.text(max_size=300), slot=st.integers(0, 5))
def test_any_path_id_answers_2xx_or_a_4xx_json_error(
    api: Api, staff_token: str, route: tuple[str, str], hostile: str, slot: int
) -> None:
    method, path = route
    slots = len(re.findall(r"\{\w+\}", path))
    if not slots:
        return
    concrete_path = path_with(path, hostile or "x", slot % slots)
    answer = api.request(method, concrete_path, body={}, token=staff_token)
    if answer.status >= 300:
        assert_4xx_json(answer, f"{method} {concrete_path[:80]}")


# --- any JSON body --------------------------------------------------------------------------------------------

FIELD_NAMES = ["name", "title", "policy", "items", "status", "amount", "loId", "planId", "dueDate", "balance", "x"]
NUMBERS = st.one_of(
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=False),
    st.sampled_from([10**38, 10**39, -(10**126), 1e-131, 1e308]),
)
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=20))
BODIES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=5),
    max_leaves=12,
)


@EXAMPLES
@given(route=st.sampled_from(BODY_ROUTES), body=BODIES)
def test_any_json_body_answers_2xx_or_a_4xx_json_error(
    api: Api, staff_token: str, route: tuple[str, str], body: Any
) -> None:
    method, path = route
    answer = api.request(method, concrete(path), body=body, token=staff_token)
    if answer.status >= 300:
        assert_4xx_json(answer, f"{method} {path} {json.dumps(body)[:200]}")


@EXAMPLES
@given(route=st.sampled_from(BODY_ROUTES), text=st.text(max_size=200), key=st.sampled_from(FIELD_NAMES))
def test_any_string_in_a_body_even_with_a_lone_surrogate_answers_2xx_or_a_4xx_json_error(
    api: Api, staff_token: str, route: tuple[str, str], text: str, key: str
) -> None:
    method, path = route
    raw = '{"' + key + '": "\\ud800' + json.dumps(text)[1:] + "}"  # JSON may escape a lone surrogate
    answer = api.request(method, concrete(path), raw=raw, token=staff_token)
    if answer.status >= 300:
        assert_4xx_json(answer, f"{method} {path}")
