"""Raw garbage in a request body is a 4xx naming the problem, never a 5xx (SPEC.md section 8)."""

from __future__ import annotations

import pytest

from hardening.fuzz import GARBAGE_BODIES
from tests.conftest import Api, Catalog

KNOWN_5XX = {
    b"\xff\xfe\x00garbage": "planhub.http.RestApi: a body that is not UTF-8 raises UnicodeDecodeError while "
    "Powertools parses it; the catch-all answers 500 instead of 400",
    "[" * 5_000 + "]" * 5_000: "planhub.http.RestApi: JSON nested 5,000 deep raises RecursionError in json.loads; "
    "the catch-all answers 500 instead of 400",
    '{"a":' * 3000 + "1" + "}" * 3000: "planhub.http.RestApi: JSON nested 3,000 deep raises RecursionError",
}


def _case(raw: str | bytes) -> object:
    reason = KNOWN_5XX.get(raw)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(raw, marks=marks, id=repr(raw[:12]) + f"...{len(raw)}")


@pytest.mark.parametrize("raw", [_case(raw) for raw in GARBAGE_BODIES])
def test_a_garbage_body_gets_a_4xx_in_the_routes_shape(api: Api, given: Catalog, staff_token: str, raw: str) -> None:
    # Given a portal that exists
    given.portal()

    # When staff sends garbage instead of a portal
    answer = api.put("/admin/portals/p-acme", raw=raw, token=staff_token)

    # Then a 4xx with a message, not a crash
    assert 400 <= answer.status < 500, answer.body[:200]
    assert answer.json()["message"]
