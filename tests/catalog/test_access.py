"""Who may reach the catalog: staff only; tokens are verified before any handler runs."""

from __future__ import annotations

import io
import logging
import time

import jwt
import pytest

from planhub.observability import logger
from planhub_local import environ, tokens
from tests.conftest import Api, Catalog

PORTAL = "/admin/portals/p-acme"


def _unsigned(claims: dict[str, object]) -> str:
    return jwt.encode(claims, key=None, algorithm="none")


def test_staff_may_read_what_they_wrote(api: Api, given: Catalog, staff_token: str) -> None:
    given.portal("p-acme", "acme.example.com")

    answer = api.get(PORTAL, token=staff_token)

    assert answer.status == 200
    assert answer.json() == {"id": "p-acme", "name": "acme.example.com", "title": "p-acme"}


def test_a_token_in_the_jwt_query_parameter_is_accepted(api: Api, given: Catalog, staff_token: str) -> None:
    given.portal()

    answer = api.get(f"{PORTAL}?jwt={staff_token}")

    assert answer.status == 200


def test_a_portal_admin_who_is_not_staff_is_forbidden(api: Api, given: Catalog) -> None:
    given.portal()
    admin = tokens.token("u-admin", roles={"p-acme": ["admin"]})

    answer = api.put(PORTAL, {"name": "evil.example.com"}, token=admin)

    assert answer.status == 403
    assert "staff" in answer.json()["message"]


NOW = int(time.time())
REFUSED_TOKENS = {
    "no token": None,
    "garbage": "not-a-jwt",
    "wrong signature": jwt.encode({"sub": "x", "staff": True, "exp": NOW + 60}, "another-secret-" * 3, "HS256"),
    "alg none": _unsigned({"sub": "x", "staff": True, "exp": NOW + 60}),
    "expired": tokens.sign({"sub": "x", "staff": True, "exp": NOW - 1}),
    "no exp": tokens.sign({"sub": "x", "staff": True}),
    "no sub": tokens.sign({"staff": True, "exp": NOW + 60}),
}


@pytest.mark.parametrize("kind", REFUSED_TOKENS)
def test_an_invalid_token_is_refused_with_401_before_any_handler(
    api: Api, stack: object, kind: str, given: Catalog
) -> None:
    given.portal()

    answer = api.put(PORTAL, {"name": "evil.example.com"}, token=REFUSED_TOKENS[kind])

    assert answer.status == 401
    assert answer.json()["message"] == "Missing or invalid token"
    assert api.get(PORTAL, token=given.staff).json()["name"] == "acme.example.com"


def test_an_unknown_route_is_answered_like_api_gateway_does(api: Api, staff_token: str) -> None:
    answer = api.get("/admin/nothing-here", token=staff_token)

    assert answer.status == 403
    assert answer.json() == {"message": "Missing Authentication Token"}


def test_every_answer_carries_the_request_id(api: Api, staff_token: str) -> None:
    answer = api.get(PORTAL, token=staff_token)

    assert answer.header("x-amzn-RequestId")


def test_the_request_id_is_on_the_handlers_log_lines(api: Api, given: Catalog) -> None:
    given.portal()
    with environ.running({"POWERTOOLS_SERVICE_NAME": "planhub"}):  # the functions' service (template Globals)
        handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    captured = io.StringIO()
    previous = handler.setStream(captured)

    try:
        answer = api.put(PORTAL, {"name": 42}, token=given.staff)
    finally:
        handler.setStream(previous)

    logged = captured.getvalue()
    assert answer.status == 400
    assert f'"correlation_id":"{answer.header("x-amzn-RequestId")}"' in logged
