"""POST /plans: the seed's answers, the amounts, the validation rules, who may create."""

from __future__ import annotations

import time
from typing import Any

import pytest

from planhub_local import tokens
from tests.conftest import Catalog
from tests.subscriptions.conftest import (
    COMPANY,
    OTHER_API_KEY,
    OTHER_COMPANY,
    PRODUCT_1,
    PRODUCT_2,
    Bus,
    Plans,
    World,
    company_token,
    recurring_plan,
    seed_plan,
)

# --- the seed's examples --------------------------------------------------------------


def test_the_seed_example_is_answered_in_the_seed_shape(admin: Plans) -> None:
    # When an admin sends the seed's example request
    before = int(time.time() * 1000)
    answer = admin.create(seed_plan())

    # Then it is answered 200 with the seed's document, total_amount summed from the items
    assert answer.status == 200, answer.body
    plan = answer.json()
    assert len(plan["_id"]["$oid"]) == 24 and int(plan["_id"]["$oid"], 16) >= 0
    assert before <= plan["created"]["$date"] == plan["updated"]["$date"] <= int(time.time() * 1000)
    expected = {
        "auto_bill_amount": False,
        "billing_interval": "MONTH",
        "initial_fail_amount_action": "CONTINUE",
        "max_fail_attempts": 1,
        "discount": 0.0,
        "name": "Plan Deluxe",
        "total_amount": 300.0,
        "interval_unit": "WEEK",
        "items": [
            {"discount": 0.0, "product": {"$oid": PRODUCT_1}, "quantity": 1},
            {"discount": 0.5, "product": {"$oid": PRODUCT_2}, "quantity": 2},
        ],
        "status": "CREATED",
        "currency": "NOK",
        "note": "This is a note regarding the Plan",
        "deleted": False,
        "company": {"$oid": COMPANY},
        "static": True,
        "prorate": False,
    }
    assert {k: plan[k] for k in expected} == expected


def test_the_recurring_order_example_answers_each_recurring_day_with_its_dates(member: Plans) -> None:
    # When a company user sends the seed's recurring order plan example
    answer = member.create(recurring_plan())

    # Then the plan is theirs, and each recurring day has a starting and a next day (UTC here)
    assert answer.status == 200, answer.body
    plan = answer.json()
    assert plan["method"] == "recurring_order"
    assert plan["user"] == {"$oid": "member-1"}
    assert plan["timezone"] == "UTC"
    days = plan["recurring_days"]
    assert [d["day"] for d in days] == [0, 4]
    for day, (weekday, hour, minute) in zip(days, [(0, 10, 42), (4, 20, 15)], strict=True):
        assert day["starting_day"] == day["next_day"]
        moment = time.gmtime(day["starting_day"]["$date"] / 1000)
        assert (moment.tm_wday, moment.tm_hour, moment.tm_min, moment.tm_sec) == (weekday, hour, minute, 0)
        assert plan["created"]["$date"] <= day["starting_day"]["$date"] <= plan["created"]["$date"] + 7 * 86_400_000


def test_a_recurring_order_plan_is_named_as_the_seed_says_when_no_name_is_given(member: Plans) -> None:
    body = recurring_plan()
    del body["name"]

    assert member.created(body)["name"] == "RECURRING_ORDER_PLAN"


def test_the_created_plan_is_read_back_as_answered(admin: Plans) -> None:
    created = admin.created(seed_plan())

    answer = admin.get(created["_id"]["$oid"])

    assert answer.status == 200
    assert answer.json() == created


def test_a_create_publishes_a_subscription_plan_created_event(admin: Plans, bus: Bus) -> None:
    created = admin.created(seed_plan())

    published = bus.events("subscription plan created")

    mine = [e for e in published if e["detail"]["data"]["plan_id"] == created["_id"]["$oid"]]
    assert len(mine) == 1
    assert mine[0]["detail"]["actor"] == "admin-1"
    assert mine[0]["detail"]["data"]["amount_per_interval"] == 30_000


# --- amounts ----------------------------------------------------------------------------


def test_the_plan_discount_applies_on_top_of_the_items_total(admin: Plans) -> None:
    # Given items worth 300.00 NOK, and a plan discount of 15%
    plan = admin.created(seed_plan(discount=0.15))

    # Then the total stays the items' sum and the amount per interval is 255.00
    assert plan["total_amount"] == 300.0
    assert plan["discount"] == 0.15
    assert plan["amount_per_interval"] == 255.0


def test_a_given_total_amount_replaces_the_sum_of_the_items(admin: Plans) -> None:
    plan = admin.created(seed_plan(total_amount=249.5, discount=0.5))

    assert plan["total_amount"] == 249.5
    assert plan["amount_per_interval"] == 124.75


def test_line_discounts_are_rounded_to_the_minor_unit_half_up(admin: Plans, given: Catalog) -> None:
    # Given a product at 0.05 NOK, three of them at a 50% discount (7.5 øre)
    given.product("p-cheap", COMPANY, 0.05, "NOK")

    plan = admin.created(seed_plan(items=[{"product": "p-cheap", "quantity": 3, "discount": 0.5}]))

    # Then the line is 0.08 NOK (7.5 øre rounded half up), computed without floats
    assert plan["total_amount"] == 0.08


@pytest.mark.parametrize(
    ("currency", "price", "quantity", "expected"),
    [("JPY", 1234.0, 3, 3702.0), ("KWD", 1.234, 3, 3.702), ("CLF", 0.0001, 7, 0.0007), ("NOK", 0.1, 3, 0.3)],
)
def test_amounts_are_counted_in_the_currency_minor_unit(
    admin: Plans, given: Catalog, *, currency: str, price: float, quantity: int, expected: float
) -> None:
    given.product(f"p-{currency}", COMPANY, price, currency)

    plan = admin.created(
        seed_plan(currency=currency, items=[{"product": f"p-{currency}", "quantity": quantity}], static=False)
    )

    assert plan["total_amount"] == expected


def test_a_total_amount_finer_than_the_currency_minor_unit_is_refused(admin: Plans) -> None:
    answer = admin.create(seed_plan(currency="JPY", items=[], total_amount=100.5))

    assert answer.status == 400
    assert "total_amount" in answer.json()["message"]


def test_false_means_not_given_for_interval_count_and_total_amount(admin: Plans) -> None:
    plan = admin.created(seed_plan(interval_count=False, total_amount=False))

    assert "interval_count" not in plan
    assert plan["total_amount"] == 300.0


def test_an_interval_count_is_kept(admin: Plans) -> None:
    assert admin.created(seed_plan(interval_count=12))["interval_count"] == 12


def test_static_plan_is_accepted_as_the_seed_prose_name_of_static(admin: Plans) -> None:
    body = seed_plan(static_plan=True)
    del body["static"]

    assert admin.created(body)["static"] is True


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"interval_unit": "YEAR"}, "interval_unit"),
        ({"interval_unit": "week"}, "interval_unit"),
        ({"billing_interval": "DAY"}, "billing_interval"),
        ({"billing_interval": "PER_ORDER"}, "billing_interval"),
        ({"initial_fail_amount_action": "RETRY"}, "initial_fail_amount_action"),
        ({"method": "premium"}, "method"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "nok"}, "currency"),
        ({"currency": "XAU"}, "currency"),
        ({"currency": "HRK"}, "currency"),
        ({"discount": 1.5}, "discount"),
        ({"discount": -0.1}, "discount"),
        ({"interval_count": True}, "interval_count"),
        ({"interval_count": 0}, "interval_count"),
        ({"total_amount": True}, "total_amount"),
        ({"total_amount": -1}, "total_amount"),
        ({"items": [{"product": PRODUCT_1, "quantity": 0}]}, "quantity"),
        ({"items": [{"product": PRODUCT_1, "quantity": 1, "discount": 2}]}, "discount"),
        ({"name": None}, "name"),
        ({"name": ...}, "name"),
        ({"interval_unit": ...}, "interval_unit"),
        ({"billing_interval": ...}, "billing_interval"),
        ({"currency": ...}, "currency"),
        ({"static": "yes"}, "static"),
        ({"colour": "blue"}, "colour"),
        ({"items": [], "total_amount": False}, "total_amount"),
        ({"recurring_days": [{"day": 0, "hour": 10, "minute": 0}]}, "recurring_days"),
        ({"timezone": "Europe/Oslo"}, "timezone"),
        ({"static_plan": False}, "static_plan"),
    ],
)
def test_a_basic_plan_breaking_a_rule_is_refused_naming_the_field(
    admin: Plans, fields: dict[str, Any], named: str
) -> None:
    answer = admin.create(seed_plan(**fields))

    assert answer.status == 400, answer.body
    assert named in answer.json()["message"]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"interval_unit": "MONTH_END"}, "interval_unit"),
        ({"interval_unit": "ANNUAL"}, "interval_unit"),
        ({"recurring_days": []}, "recurring_days"),
        ({"recurring_days": ...}, "recurring_days"),
        ({"recurring_days": [{"day": 7, "hour": 10, "minute": 0}]}, "recurring_days[0].day"),
        ({"recurring_days": [{"hour": 10, "minute": 0}]}, "recurring_days[0].day"),
        ({"recurring_days": [{"day": 0, "hour": 24, "minute": 0}]}, "hour"),
        ({"recurring_days": [{"day": 0, "hour": 10, "minute": 60}]}, "minute"),
        ({"recurring_days": [{"day": 1, "hour": 1}, {"day": 1, "hour": 1}]}, "recurring_days[1]"),
        ({"interval_unit": "MONTH", "recurring_days": [{"day": 0, "hour": 1}]}, "recurring_days[0].day"),
        ({"interval_unit": "MONTH", "recurring_days": [{"day": 32, "hour": 1}]}, "day"),
        ({"interval_unit": "DAY", "recurring_days": [{"day": 3, "hour": 1}]}, "recurring_days[0].day"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
    ],
)
def test_a_recurring_order_plan_breaking_a_rule_is_refused_naming_the_field(
    member: Plans, fields: dict[str, Any], named: str
) -> None:
    answer = member.create(recurring_plan(**fields))

    assert answer.status == 400, answer.body
    assert named in answer.json()["message"]


def test_a_recurring_order_plan_may_be_billed_per_order(member: Plans) -> None:
    assert member.created(recurring_plan(billing_interval="PER_ORDER"))["billing_interval"] == "PER_ORDER"


def test_a_product_of_another_company_is_refused(admin: Plans, given: Catalog) -> None:
    # Given a product that exists, but belongs to another company
    given.product("p-foreign", OTHER_COMPANY, 10.0, "NOK")

    answer = admin.create(seed_plan(items=[{"product": "p-foreign", "quantity": 1}]))

    assert answer.status == 400
    assert "items[0].product" in answer.json()["message"]


def test_a_product_that_does_not_exist_is_refused(admin: Plans) -> None:
    answer = admin.create(seed_plan(items=[{"product": PRODUCT_1}, {"product": "p-nowhere", "quantity": 1}]))

    assert answer.status == 400
    assert "items[1].product" in answer.json()["message"]


def test_a_product_priced_in_another_currency_is_refused(admin: Plans) -> None:
    answer = admin.create(seed_plan(currency="SEK"))

    assert answer.status == 400
    assert "items[0].product" in answer.json()["message"]


def test_a_refused_plan_leaves_nothing_behind(world: World) -> None:
    # Given a company with a product, and no plans
    plans = world.plans_of(world.new_company("c-refused"))
    world.given.product("p-refused", "c-refused", 10.0, "NOK")

    # When a plan is refused for one of its items
    answer = plans.create(seed_plan(items=[{"product": "p-refused"}, {"product": "p-nowhere", "quantity": 1}]))

    # Then no plan was made
    assert answer.status == 400
    assert plans.list("include_deleted=true").json() == []


# --- who may create ------------------------------------------------------------------------


def test_a_user_who_is_not_a_company_admin_may_not_create_a_basic_plan(member: Plans) -> None:
    answer = member.create(seed_plan())

    assert answer.status == 403
    assert answer.json()["message"]


def test_a_company_admin_may_create_a_recurring_order_plan_of_their_own(admin: Plans) -> None:
    assert admin.created(recurring_plan())["user"] == {"$oid": "admin-1"}


def test_platform_staff_acting_for_a_company_may_create_a_basic_plan(admin: Plans) -> None:
    staff = tokens.token("staff-1", staff=True, company={"id": COMPANY, "admin": False})

    assert admin.as_(staff).create(seed_plan()).status == 200


def test_a_token_without_a_company_may_not_create_plans(admin: Plans) -> None:
    answer = admin.as_(tokens.token("someone")).create(recurring_plan())

    assert answer.status == 403


@pytest.mark.parametrize("key", [None, "", "not-a-key-of-this-company", OTHER_API_KEY])
def test_a_missing_or_wrong_api_key_is_forbidden(admin: Plans, key: str | None) -> None:
    answer = admin.as_(admin.token, key=key).create(seed_plan())

    assert answer.status == 403
    assert "X-Share-Api-Key" in answer.json()["message"]


def test_the_api_key_header_name_is_case_insensitive(admin: Plans) -> None:
    answer = admin.api.post("/plans", seed_plan(), token=admin.token, headers={"x-share-api-key": admin.key or ""})

    assert answer.status == 200, answer.body


def test_a_company_unknown_to_the_catalog_accepts_no_key(admin: Plans) -> None:
    answer = admin.as_(company_token("u1", admin=True, company="c-unknown")).create(seed_plan())

    assert answer.status == 403


def test_a_request_without_a_token_is_unauthorized(admin: Plans) -> None:
    answer = admin.api.post("/plans", seed_plan(), headers={"X-Share-Api-Key": admin.key or ""})

    assert answer.status == 401
