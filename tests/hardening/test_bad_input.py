"""Raw garbage in a request body is a 4xx naming the problem, never a 5xx (docs/product.md "Errors and bad input")."""

from __future__ import annotations

import pytest

from hardening.fuzz import GARBAGE_BODIES
from tests.conftest import Api, Catalog


def _case(raw: str | bytes) -> object:
    return pytest.param(raw, id=repr(raw[:12]) + f"...{len(raw)}")


@pytest.mark.parametrize("raw", [_case(raw) for raw in GARBAGE_BODIES])
def test_a_garbage_body_gets_a_4xx_in_the_routes_shape(api: Api, given: Catalog, staff_token: str, raw: str) -> None:
    # Given a portal that exists
    given.portal()

    # When staff sends garbage instead of a portal
    answer = api.put("/admin/portals/p-acme", raw=raw, token=staff_token)

    # Then a 4xx with a message, not a crash
    assert 400 <= answer.status < 500, answer.body[:200]
    assert answer.json()["message"]


@pytest.mark.parametrize("price", [1e308, 1e-320])
def test_a_product_price_dynamodb_cannot_store_is_400_naming_it(
    api: Api, given: Catalog, staff_token: str, price: float
) -> None:
    # Given a company (found by `make harden --seed 1`: these prices were a 500)
    given.company("co-1", ["key-0123456789abcdef"])

    # When staff puts a product priced beyond what a DynamoDB number holds
    body = {"company": "co-1", "name": "P", "price": price, "currency": "NOK"}
    answer = api.put("/admin/products/pr-1", body, token=staff_token)

    # Then a 400 naming the price
    assert answer.status == 400, answer.body
    assert "price" in answer.body
