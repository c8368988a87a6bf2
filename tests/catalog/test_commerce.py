"""Companies, products, API clients, coupons and credit tokens."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import Api, Catalog


def test_a_companys_api_keys_are_stored_as_fingerprints_only(api: Api, staff_token: str) -> None:
    key = "share-key-0123456789"

    stored = api.put("/admin/companies/co-1", {"name": "Kvass AS", "api_keys": [key]}, token=staff_token)

    assert stored.status == 200
    assert key not in stored.body
    assert stored.json()["api_key_fingerprints"] == [hashlib.sha256(key.encode()).hexdigest()]


def test_a_product_of_an_unknown_company_is_404_and_not_written(api: Api, staff_token: str) -> None:
    answer = api.put(
        "/admin/products/pr-1", {"company": "nobody", "name": "P", "price": 10.0, "currency": "NOK"}, token=staff_token
    )

    assert answer.status == 404
    assert answer.json()["message"] == "Company nobody not found"
    assert api.get("/admin/products/pr-1", token=staff_token).status == 404


def test_a_product_is_stored_with_its_price(api: Api, given: Catalog) -> None:
    given.company("co-1", ["share-key-0123456789"])

    stored = given.product("pr-1", "co-1", 100.0, "NOK")

    assert stored == {"id": "pr-1", "company": "co-1", "name": "pr-1", "price": 100.0, "currency": "NOK"}


def test_a_client_shows_its_policy_live_balance_and_usage(api: Api, given: Catalog) -> None:
    policy = {
        "rate_limit": {"requests": 10, "per_seconds": 1},
        "quota": {"activities": 1000, "period": "month"},
        "credits": {"balance": 500, "per_create": 1, "per_completion": 5},
    }

    given.client("cl-1", policy)

    read = api.get("/admin/clients/cl-1", token=given.staff).json()
    assert read["policy"] == policy
    assert read["balance"] == 500
    assert read["usage"]["activities"] == 0


def test_a_client_without_policy_parts_is_unlimited_and_free(api: Api, given: Catalog) -> None:
    stored = given.client("cl-free")

    assert stored["policy"] == {"rate_limit": None, "quota": None, "credits": None}
    assert stored["balance"] is None


def test_concurrent_top_ups_all_count(api: Api, given: Catalog) -> None:
    given.client("cl-1", {"credits": {"balance": 0, "per_create": 1}})

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(
            pool.map(lambda _: api.post("/admin/clients/cl-1/credits", {"amount": 5}, token=given.staff), range(20))
        )

    assert [a.status for a in answers] == [200] * 20
    assert api.get("/admin/clients/cl-1", token=given.staff).json()["balance"] == 100


def test_topping_up_an_unknown_client_is_404(api: Api, staff_token: str) -> None:
    answer = api.post("/admin/clients/ghost/credits", {"amount": 5}, token=staff_token)

    assert answer.status == 404


def test_topping_up_a_client_without_credits_policy_is_a_conflict(api: Api, given: Catalog) -> None:
    given.client("cl-free")

    answer = api.post("/admin/clients/cl-free/credits", {"amount": 5}, token=given.staff)

    assert answer.status == 409


def test_a_top_up_must_be_positive(api: Api, given: Catalog) -> None:
    given.client("cl-1", {"credits": {"balance": 0}})

    answer = api.post("/admin/clients/cl-1/credits", {"amount": 0}, token=given.staff)

    assert answer.status == 400
    assert "body.amount" in answer.json()["message"]


def test_replacing_a_coupon_keeps_its_use_count(api: Api, given: Catalog) -> None:
    given.portal()
    given.coupon("SAVE", discount=0.25, max_uses=3)

    replaced = given.coupon("SAVE", discount=0.5, max_uses=10)

    assert replaced["uses"] == 0
    assert replaced["discount"] == 0.5
    assert api.get("/admin/coupons/SAVE", token=given.staff).json()["max_uses"] == 10


def test_a_discount_above_one_is_400(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.put("/admin/coupons/X", {"portal": "p-acme", "discount": 1.5}, token=given.staff)

    assert answer.status == 400


def test_credit_tokens_are_distinct_and_single_use_credentials(api: Api, given: Catalog) -> None:
    given.portal()
    given.learning_object("c-1", price={"amount": 4900, "currency": "USD"})

    issued = given.credit_tokens("c-1", count=5)

    assert len(set(issued)) == 5
    assert all(len(t) >= 32 for t in issued)


def test_credit_tokens_for_a_learning_object_of_another_portal_are_404(api: Api, given: Catalog) -> None:
    given.portal("p-acme", "acme.example.com")
    given.portal("p-other", "other.example.com")
    given.learning_object("c-1", portal_id="p-other")

    answer = api.post("/admin/portals/p-acme/credit-tokens", {"lo_id": "c-1", "count": 1}, token=given.staff)

    assert answer.status == 404


def test_ninety_seven_credit_tokens_at_once_are_issued_together(api: Api, given: Catalog) -> None:
    given.portal()
    given.learning_object("c-1")

    issued = given.credit_tokens("c-1", count=97)

    assert len(set(issued)) == 97


def test_more_than_ninety_seven_credit_tokens_at_once_is_400(api: Api, given: Catalog) -> None:
    given.portal()
    given.learning_object("c-1")

    answer = api.post("/admin/portals/p-acme/credit-tokens", {"lo_id": "c-1", "count": 98}, token=given.staff)

    assert answer.status == 400
    assert "body.count" in answer.json()["message"]


def test_credit_tokens_for_a_marketplace_learning_object_are_issued_in_any_portal(api: Api, given: Catalog) -> None:
    given.portal("p-acme", "acme.example.com")
    given.portal("p-other", "other.example.com")
    given.learning_object("c-1", portal_id="p-other", marketplace=True)

    issued = given.credit_tokens("c-1", count=2, portal_id="p-acme")

    assert len(issued) == 2


def test_credit_tokens_for_an_unknown_learning_object_are_404_naming_it(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.post("/admin/portals/p-acme/credit-tokens", {"lo_id": "nope", "count": 1}, token=given.staff)

    assert answer.status == 404
    assert answer.json() == {"message": "Learning object nope not found"}


def test_credit_tokens_of_an_unknown_portal_are_404_naming_it(api: Api, given: Catalog) -> None:
    given.portal()
    given.learning_object("c-1", marketplace=True)

    answer = api.post("/admin/portals/p-none/credit-tokens", {"lo_id": "c-1", "count": 1}, token=given.staff)

    assert answer.status == 404
    assert answer.json() == {"message": "Portal p-none not found"}


def test_a_coupon_with_numbers_dynamodb_cannot_hold_is_400_naming_them(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.put(
        "/admin/coupons/X", {"portal": "p-acme", "discount": 0.5, "max_uses": int("1" * 39)}, token=given.staff
    )

    assert answer.status == 400
    assert "max_uses" in answer.json()["message"]
