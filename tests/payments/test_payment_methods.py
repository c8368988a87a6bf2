"""Payment methods (docs/product.md "Billing") through the gateway: a Stripe customer per card (made at
the Stripe test endpoint), section 7's conventions, soft deletes, the default, and the 409
while a subscription pays with one (`in_use_by`, put here through the storage layer as
billing's transactions put it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from planhub.payments import methods as payment_methods
from planhub.storage import Table, TransactionCanceled
from planhub_local import tokens
from planhub_local.client import Api, HttpResponse
from planhub_local.stack import LocalStack
from planhub_local.stripe_endpoint import StripeEndpoint
from tests.conftest import Catalog

COMPANY = "57ee9c71d76d431f8511142f"
OTHER_COMPANY = "57ee9c71d76d431f85111430"
API_KEY = "share-key-0123456789abcdef"
OTHER_API_KEY = "share-key-of-another-company-0001"


def member(user: str, company: str = COMPANY, *, admin: bool = False) -> str:
    return tokens.token(user, company={"id": company, "admin": admin}, email=f"{user}@example.com")


class Methods:
    def __init__(self, api: Api) -> None:
        self.api = api

    def create(self, token: str, card: str = "tok_visa", *, key: str = API_KEY) -> HttpResponse:
        return self.api.post(
            "/payment_methods", {"method": "stripe", "token": card}, token=token, headers={"X-Share-Api-Key": key}
        )

    def created(self, token: str, card: str = "tok_visa") -> dict[str, Any]:
        answer = self.create(token, card)
        assert answer.status == 200, answer.body
        return dict(answer.json())

    def get(self, token: str, method_id: str, *, key: str = API_KEY) -> HttpResponse:
        return self.api.get(f"/payment_methods/{method_id}", token=token, headers={"X-Share-Api-Key": key})

    def list(self, token: str, query: str = "", *, key: str = API_KEY) -> HttpResponse:
        return self.api.get(f"/payment_methods?{query}", token=token, headers={"X-Share-Api-Key": key})

    def delete(self, token: str, method_id: str, *, key: str = API_KEY) -> HttpResponse:
        return self.api.delete(f"/payment_methods/{method_id}", token=token, headers={"X-Share-Api-Key": key})


@pytest.fixture
def methods(api: Api, given: Catalog) -> Methods:
    given.company(COMPANY, [API_KEY])
    given.company(OTHER_COMPANY, [OTHER_API_KEY])
    return Methods(api)


def test_a_card_becomes_a_stripe_customer_and_the_stored_method(
    methods: Methods, stripe_endpoint: StripeEndpoint
) -> None:
    answer = methods.create(member("u1"), "tok_mastercard")

    assert answer.status == 200, answer.body
    method = answer.json()
    [customer] = stripe_endpoint.customers
    assert method["customer_id"] == customer["id"]
    assert customer["email"] == "u1@example.com"
    assert method["card"] == {
        "brand": "MasterCard",
        "last4": "4444",
        "exp_month": 12,
        "exp_year": method["card"]["exp_year"],
    }
    assert (method["method"], method["name"], method["deleted"], method["default"]) == ("stripe", "Stripe", False, True)
    assert method["user"] == {"$oid": "u1"}
    assert method["company"] == {"$oid": COMPANY}
    assert set(method["created"]) == {"$date"} and method["created"] == method["modified"]
    assert len(method["_id"]["$oid"]) == 24
    assert "number" not in method["card"]


def test_a_card_stripe_refuses_is_402_with_stripes_message_and_nothing_is_stored(methods: Methods) -> None:
    token = member("u1")

    answer = methods.create(token, "tok_chargeDeclined")

    assert answer.status == 402
    assert answer.json() == {"message": "Your card was declined."}
    assert methods.list(token).json() == []


def test_a_card_that_attaches_but_fails_charges_is_stored(methods: Methods) -> None:
    method = methods.created(member("u1"), "tok_chargeCustomerFail")

    assert method["card"]["last4"] == "0341"


@pytest.mark.parametrize(
    "body",
    [
        {"method": "paypal", "token": "tok_visa"},
        {"method": "stripe"},
        {"method": "stripe", "token": ""},
        {"method": "stripe", "token": "tok_visa", "x": 1},
    ],
)
def test_a_bad_body_is_400(methods: Methods, body: dict[str, Any], api: Api) -> None:
    answer = api.post("/payment_methods", body, token=member("u1"), headers={"X-Share-Api-Key": API_KEY})

    assert answer.status == 400
    assert "message" in answer.json()


def test_without_the_companys_api_key_or_a_company_claim_it_is_403(
    methods: Methods, stripe_endpoint: StripeEndpoint
) -> None:
    assert methods.create(member("u1"), key=OTHER_API_KEY).status == 403
    assert methods.create(tokens.token("u1")).status == 403
    assert stripe_endpoint.customers == []


def test_the_newest_method_is_the_default_and_the_list_is_newest_first(methods: Methods) -> None:
    token = member("u1")
    first = methods.created(token, "tok_visa")
    second = methods.created(token, "tok_mastercard")

    listed = methods.list(token).json()

    assert [m["_id"] for m in listed] == [second["_id"], first["_id"]]
    assert [m["default"] for m in listed] == [True, False]
    assert methods.get(token, first["_id"]["$oid"]).json()["default"] is False
    oldest_first = methods.list(token, "sort=created").json()
    assert [m["_id"] for m in oldest_first] == [first["_id"], second["_id"]]
    assert [m["default"] for m in oldest_first] == [False, True]


def test_lists_are_paged_with_size_and_page_from_1_and_page_0_is_the_first(methods: Methods) -> None:
    token = member("u1")
    made = [methods.created(token)["_id"] for _ in range(3)]

    pages = [[m["_id"] for m in methods.list(token, f"size=2&page={page}").json()] for page in (0, 1, 2, 3)]

    assert pages == [made[::-1][:2], made[::-1][:2], made[::-1][2:], []]
    assert methods.list(token, "sort=amount").status == 400


def test_only_its_user_sees_a_method_anyone_else_gets_404(methods: Methods) -> None:
    method_id = methods.created(member("u1"))["_id"]["$oid"]

    assert methods.get(member("u1"), method_id).status == 200
    assert methods.get(member("u2"), method_id).status == 404
    assert methods.get(member("admin", admin=True), method_id).status == 404
    assert methods.get(member("u1", OTHER_COMPANY), method_id, key=OTHER_API_KEY).status == 404
    assert methods.delete(member("u2"), method_id).status == 404
    assert methods.list(member("u2")).json() == []
    assert methods.get(member("u1"), "5931697ed57ba271c0c7de70").status == 404


def test_delete_is_soft_and_the_previous_method_becomes_the_default(methods: Methods, stack: LocalStack) -> None:
    token = member("u1")
    older = methods.created(token)
    newer = methods.created(token)

    answer = methods.delete(token, newer["_id"]["$oid"])

    assert answer.status == 204
    assert methods.get(token, newer["_id"]["$oid"]).status == 404
    assert methods.delete(token, newer["_id"]["$oid"]).status == 404
    [left] = methods.list(token).json()
    assert (left["_id"], left["default"]) == (older["_id"], True)
    stored = Table(stack.table_name).get(payment_methods.PaymentMethod(**_stub(newer)).keys())
    assert stored is not None and stored["deleted"] is True and "GSI1PK" not in stored
    assert payment_methods.default_method(Table(stack.table_name), COMPANY, "u1").id == older["_id"]["$oid"]  # type: ignore[union-attr]


def _stub(document: dict[str, Any]) -> dict[str, Any]:
    """Enough of a PaymentMethod to name its key."""
    card = {"brand": "Visa", "last4": "4242", "exp_month": 1, "exp_year": 2030}
    return {
        "id": document["_id"]["$oid"],
        "user_id": "u1",
        "company_id": COMPANY,
        "customer_id": "c",
        "card": card,
        "created": "x",
        "modified": "x",
    }


def test_a_method_a_subscription_pays_with_cannot_be_deleted_until_released(
    methods: Methods, stack: LocalStack
) -> None:
    token = member("u1")
    method_id = methods.created(token)["_id"]["$oid"]
    table = Table(stack.table_name)
    # Given two subscriptions paying with it (billing's transactions put these writes)
    table.transact([payment_methods.use(method_id, "sub-1")])
    table.transact([payment_methods.use(method_id, "sub-2")])

    refused = methods.delete(token, method_id)
    table.transact([payment_methods.release(method_id, "sub-1")])
    still = methods.delete(token, method_id)
    table.transact([payment_methods.release(method_id, "sub-2")])
    deleted = methods.delete(token, method_id)

    assert refused.status == 409
    assert "subscription" in refused.json()["message"]
    assert still.status == 409
    assert deleted.status == 204


def test_a_deleted_method_cannot_be_put_in_use(methods: Methods, stack: LocalStack) -> None:
    token = member("u1")
    method_id = methods.created(token)["_id"]["$oid"]
    methods.delete(token, method_id)

    with pytest.raises(TransactionCanceled):
        Table(stack.table_name).transact([payment_methods.use(method_id, "sub-1")])


def test_a_delete_racing_a_subscription_start_never_leaves_a_deleted_method_in_use(
    methods: Methods, stack: LocalStack
) -> None:
    table = Table(stack.table_name)
    token = member("u1")

    def start(method_id: str, subscription_id: str) -> bool:
        try:
            table.transact([payment_methods.use(method_id, subscription_id)])
        except TransactionCanceled:
            return False
        return True

    for round_ in range(5):
        method_id = methods.created(token)["_id"]["$oid"]

        with ThreadPoolExecutor(max_workers=2) as pool:
            started = pool.submit(start, method_id, f"sub-{round_}")
            deleted = pool.submit(methods.delete, token, method_id)
            outcome = started.result(), deleted.result().status

        assert outcome in [(True, 409), (False, 204)]
