"""GET, PUT and DELETE /plans/{plan_id}: who sees and changes what, static plans, soft delete."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.subscriptions.conftest import (
    OTHER_API_KEY,
    OTHER_COMPANY,
    Bus,
    Plans,
    company_token,
    recurring_plan,
    seed_plan,
)


def plan_id(plan: dict[str, Any]) -> str:
    return str(plan["_id"]["$oid"])


# --- reading ------------------------------------------------------------------------------


def test_any_user_of_the_company_reads_a_basic_plan(admin: Plans, member: Plans) -> None:
    created = admin.created(seed_plan())

    answer = member.get(plan_id(created))

    assert answer.status == 200
    assert answer.json() == created


def test_an_unknown_plan_is_not_found(admin: Plans) -> None:
    answer = admin.get("5931697ed57ba271c0c7de99")

    assert answer.status == 404
    assert answer.json()["message"]


def test_another_company_plan_is_not_found(admin: Plans) -> None:
    created = admin.created(seed_plan())
    outsider = admin.as_(company_token("outsider", admin=True, company=OTHER_COMPANY), key=OTHER_API_KEY)

    assert outsider.get(plan_id(created)).status == 404


def test_another_user_recurring_order_plan_is_not_found(admin: Plans, member: Plans) -> None:
    created = member.created(recurring_plan())
    colleague = member.as_(company_token("member-2"))

    assert colleague.get(plan_id(created)).status == 404


def test_a_company_admin_reads_a_user_recurring_order_plan(admin: Plans, member: Plans) -> None:
    created = member.created(recurring_plan())

    assert admin.get(plan_id(created)).json() == created


def test_reading_needs_the_company_api_key(admin: Plans) -> None:
    created = admin.created(seed_plan())

    assert admin.as_(admin.token, key=None).get(plan_id(created)).status == 403
    assert admin.as_(admin.token, key=OTHER_API_KEY).get(plan_id(created)).status == 403


# --- updating ------------------------------------------------------------------------------


def test_a_static_plan_cannot_be_updated(admin: Plans) -> None:
    created = admin.created(seed_plan(static=True))

    answer = admin.update(plan_id(created), {"name": "Golden Plan"})

    assert answer.status == 409
    assert "static" in answer.json()["message"]
    assert admin.get(plan_id(created)).json()["name"] == "Plan Deluxe"


def test_every_updatable_field_is_updated(admin: Plans) -> None:
    created = admin.created(seed_plan(static=False))
    changes = {
        "active": False,
        "name": "Golden Plan",
        "note": "Gold",
        "initial_fail_amount_action": "CANCEL",
        "max_fail_attempts": 3,
        "discount": 0.2,
        "total_amount": 500.0,
    }

    answer = admin.update(plan_id(created), changes)

    assert answer.status == 200, answer.body
    updated = answer.json()
    assert {k: updated[k] for k in changes} == changes
    assert updated["amount_per_interval"] == 400.0
    assert updated["updated"]["$date"] >= created["updated"]["$date"]
    assert updated["created"] == created["created"]
    assert admin.get(plan_id(created)).json() == updated


@pytest.mark.parametrize(
    "field",
    ["currency", "interval_unit", "billing_interval", "items", "static", "prorate", "recurring_days", "company"],
)
def test_a_field_that_is_not_updatable_is_refused_by_name(admin: Plans, field: str) -> None:
    created = admin.created(seed_plan(static=False))

    answer = admin.update(plan_id(created), {"name": "Golden Plan", field: "x"})

    assert answer.status == 400
    assert field in answer.json()["message"]
    assert admin.get(plan_id(created)).json()["name"] == "Plan Deluxe"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"discount": 1.01}, "discount"),
        ({"initial_fail_amount_action": "PAUSE"}, "initial_fail_amount_action"),
        ({"max_fail_attempts": -1}, "max_fail_attempts"),
        ({"name": None}, "name"),
        ({"active": "no"}, "active"),
        ({"total_amount": 10.001}, "total_amount"),
        ({}, "nothing to update"),
    ],
)
def test_an_invalid_update_is_refused_naming_the_problem(admin: Plans, body: dict[str, Any], named: str) -> None:
    created = admin.created(seed_plan(static=False))

    answer = admin.update(plan_id(created), body)

    assert answer.status == 400
    assert named in answer.json()["message"]


def test_total_amount_false_goes_back_to_the_sum_of_the_items(admin: Plans) -> None:
    created = admin.created(seed_plan(static=False, total_amount=999.0))

    answer = admin.update(plan_id(created), {"total_amount": False})

    assert answer.json()["total_amount"] == 300.0


def test_a_user_who_is_not_a_company_admin_may_not_update_a_basic_plan(admin: Plans, member: Plans) -> None:
    created = admin.created(seed_plan(static=False))

    assert member.update(plan_id(created), {"name": "Mine now"}).status == 403


def test_the_owner_updates_their_recurring_order_plan(member: Plans) -> None:
    created = member.created(recurring_plan())

    answer = member.update(plan_id(created), {"name": "Weekly groceries"})

    assert answer.status == 200
    assert answer.json()["name"] == "Weekly groceries"


def test_another_company_may_not_update_a_plan(admin: Plans) -> None:
    created = admin.created(seed_plan(static=False))
    outsider = admin.as_(company_token("outsider", admin=True, company=OTHER_COMPANY), key=OTHER_API_KEY)

    assert outsider.update(plan_id(created), {"name": "Ours"}).status == 404


def test_concurrent_updates_of_different_fields_all_land(admin: Plans) -> None:
    # Given a plan, and eight updates of different fields sent at once
    created = admin.created(seed_plan(static=False))
    changes: list[dict[str, Any]] = [
        {"name": "Golden Plan"},
        {"note": "Gold"},
        {"discount": 0.25},
        {"max_fail_attempts": 7},
        {"initial_fail_amount_action": "CANCEL"},
        {"total_amount": 400.0},
        {"active": False},
        {"note": "Gold"},
    ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda body: admin.update(plan_id(created), body), changes))

    # Then each is answered 200 or, after losing every retry, 409, and none is lost silently
    assert {a.status for a in answers} <= {200, 409}
    final = admin.get(plan_id(created)).json()
    for body, answer in zip(changes, answers, strict=True):
        if answer.status == 200:
            assert all(final[k] == v for k, v in body.items())


def test_an_update_publishes_which_fields_changed(admin: Plans, bus: Bus) -> None:
    created = admin.created(seed_plan(static=False))

    admin.update(plan_id(created), {"name": "Golden Plan", "discount": 0.1})

    mine = [e for e in bus.events("subscription plan updated") if e["detail"]["data"]["plan_id"] == plan_id(created)]
    assert [e["detail"]["data"]["changed"] for e in mine] == [["discount", "name"]]


# --- deleting ------------------------------------------------------------------------------


def test_a_deleted_plan_is_answered_204_and_then_not_found(admin: Plans) -> None:
    created = admin.created(seed_plan())

    answer = admin.delete(plan_id(created))

    assert answer.status == 204
    assert answer.body == ""
    assert admin.get(plan_id(created)).status == 404
    assert admin.update(plan_id(created), {"name": "x"}).status == 404
    assert admin.delete(plan_id(created)).status == 404


def test_a_deleted_plan_is_kept_and_listed_with_include_deleted(admin: Plans) -> None:
    created = admin.created(seed_plan())

    admin.delete(plan_id(created))

    listed = {plan_id(p): p for p in admin.list("include_deleted=true&size=200").json()}
    assert listed[plan_id(created)]["deleted"] is True
    assert plan_id(created) not in {plan_id(p) for p in admin.list("size=200").json()}


def test_a_user_who_is_not_a_company_admin_may_not_delete_a_basic_plan(admin: Plans, member: Plans) -> None:
    created = admin.created(seed_plan())

    assert member.delete(plan_id(created)).status == 403
    assert admin.get(plan_id(created)).status == 200


def test_the_owner_deletes_their_recurring_order_plan(member: Plans) -> None:
    created = member.created(recurring_plan())

    assert member.delete(plan_id(created)).status == 204


def test_another_user_may_not_delete_a_recurring_order_plan(member: Plans) -> None:
    created = member.created(recurring_plan())

    assert member.as_(company_token("member-2")).delete(plan_id(created)).status == 404


def test_deleting_needs_the_company_api_key(admin: Plans) -> None:
    created = admin.created(seed_plan())

    assert admin.as_(admin.token, key="share-key-not-this-one").delete(plan_id(created)).status == 403
    assert admin.get(plan_id(created)).status == 200


def test_a_delete_publishes_a_subscription_plan_deleted_event(admin: Plans, bus: Bus) -> None:
    created = admin.created(seed_plan())

    admin.delete(plan_id(created))

    mine = [e for e in bus.events("subscription plan deleted") if e["detail"]["data"]["plan_id"] == plan_id(created)]
    assert len(mine) == 1
    assert mine[0]["detail"]["data"]["deleted"] is True
