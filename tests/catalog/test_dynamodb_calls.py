"""What the catalog's writes cost in DynamoDB calls: no read before a write where the
write's own condition can tell (benchmarks/route_calls.py prints them with reasons)."""

from __future__ import annotations

from collections import Counter

from planhub_local.dynamodb_calls import recorded
from tests.conftest import Api, Catalog

ONE_TRANSACTION = Counter({"TransactWriteItems": 1})


def test_saving_a_portal_under_its_name_is_one_transaction(api: Api, given: Catalog) -> None:
    given.portal("p-1", "one.example.com")

    with recorded() as calls:
        answer = api.put("/admin/portals/p-1", {"name": "one.example.com", "title": "New"}, token=given.staff)

    assert answer.status == 200
    assert calls.operations() == ONE_TRANSACTION


def test_renaming_a_portal_is_two_transactions_and_no_read(api: Api, given: Catalog) -> None:
    given.portal("p-1", "one.example.com")

    with recorded() as calls:
        answer = api.put("/admin/portals/p-1", {"name": "two.example.com"}, token=given.staff)

    assert answer.status == 200
    assert calls.operations() == Counter({"TransactWriteItems": 2})


def test_a_new_coupon_is_one_transaction(api: Api, given: Catalog) -> None:
    given.portal()

    with recorded() as calls:
        answer = api.put("/admin/coupons/NEW", {"portal": "p-acme", "discount": 0.5}, token=given.staff)

    assert answer.status == 200
    assert calls.operations() == ONE_TRANSACTION


def test_replacing_a_coupon_is_two_transactions_and_no_read(api: Api, given: Catalog) -> None:
    given.portal()
    given.coupon("OLD")

    with recorded() as calls:
        answer = api.put("/admin/coupons/OLD", {"portal": "p-acme", "discount": 0.1}, token=given.staff)

    assert answer.status == 200
    assert calls.operations() == Counter({"TransactWriteItems": 2})


def test_saving_a_group_reads_its_members_and_writes_one_transaction(api: Api, given: Catalog) -> None:
    given.portal()
    given.group("g-1", ["u-1", "u-2"])

    with recorded() as calls:
        answer = api.put(
            "/admin/portals/p-acme/groups/g-1", {"title": "G", "members": ["u-2", "u-3"]}, token=given.staff
        )

    assert answer.status == 200
    assert calls.operations() == Counter({"Query": 1, "TransactWriteItems": 1})


def test_issuing_credit_tokens_is_one_transaction(api: Api, given: Catalog) -> None:
    given.portal()
    given.learning_object("c-1")

    with recorded() as calls:
        answer = api.post("/admin/portals/p-acme/credit-tokens", {"lo_id": "c-1", "count": 3}, token=given.staff)

    assert answer.status == 200
    assert calls.operations() == ONE_TRANSACTION


def test_reading_a_group_is_one_query_of_its_partition(api: Api, given: Catalog) -> None:
    given.portal()
    given.group("g-1", ["u-1", "u-2"])

    with recorded() as calls:
        answer = api.get("/admin/portals/p-acme/groups/g-1", token=given.staff)

    assert answer.json() == {"portal_id": "p-acme", "id": "g-1", "title": "g-1", "members": ["u-1", "u-2"]}
    assert calls.operations() == Counter({"Query": 1})
