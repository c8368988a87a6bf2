"""A company's API keys are registered on the usage plan that throttles /plans per key
(API Gateway refuses keys it does not know on routes that require one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from planhub.storage.api_keys import UsagePlanKeys, key_name
from planhub_local.stack import LocalStack
from tests.conftest import Api, Catalog

PLAN = "planhub-subscription-plans"
KEY_1, KEY_2, KEY_3, OTHER = (
    "key-one-0123456789ab",
    "key-two-0123456789ab",
    "key-new-0123456789ab",
    "key-co2-0123456789ab",
)


@pytest.fixture
def apigateway() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("apigateway", region_name="us-east-1")
        client.create_usage_plan(name=PLAN)
        yield client


def keys_on_plan(client: Any, plan_name: str) -> set[str]:
    plan_id = next(p["id"] for p in client.get_usage_plans()["items"] if p["name"] == plan_name)
    return {k["value"] for k in client.get_usage_plan_keys(usagePlanId=plan_id)["items"]}


def test_a_companys_keys_are_registered_on_the_usage_plan(apigateway: Any) -> None:
    UsagePlanKeys(PLAN, apigateway).replace("co-1", [KEY_1, KEY_2])

    assert keys_on_plan(apigateway, PLAN) == {KEY_1, KEY_2}


def test_replacing_keys_drops_the_old_ones_and_leaves_other_companies_alone(apigateway: Any) -> None:
    keys = UsagePlanKeys(PLAN, apigateway)
    keys.replace("co-1", [KEY_1, KEY_2])
    keys.replace("co-2", [OTHER])

    keys.replace("co-1", [KEY_2, KEY_3])
    keys.replace("co-1", [KEY_2, KEY_3])  # a retried PUT changes nothing

    names = {k["name"] for k in apigateway.get_api_keys()["items"]}
    assert names == {key_name("co-1", KEY_2), key_name("co-1", KEY_3), key_name("co-2", OTHER)}


def test_putting_a_company_through_the_api_registers_its_keys(stack: LocalStack, given: Catalog) -> None:
    given.company("co-1", [KEY_1])

    plan_name = stack.template.resolve(
        stack.template.resources["SubscriptionPlansUsagePlan"]["Properties"]["UsagePlanName"]
    )
    assert keys_on_plan(boto3.client("apigateway", region_name="us-east-1"), plan_name) == {KEY_1}


def test_putting_a_company_again_replaces_its_registered_keys(stack: LocalStack, given: Catalog) -> None:
    given.company("co-1", [KEY_1, KEY_2])

    given.company("co-1", [KEY_2, KEY_3])

    # Deleting an API key takes it off its usage plans on AWS (moto keeps the plan's link),
    # so the keys that exist are the keys API Gateway accepts.
    apigateway = boto3.client("apigateway", region_name="us-east-1")
    assert {k["value"] for k in apigateway.get_api_keys(includeValues=True)["items"]} == {KEY_2, KEY_3}


def test_a_key_another_company_holds_is_409_and_writes_nothing(api: Api, given: Catalog) -> None:
    given.company("co-1", [KEY_1])

    answer = api.put("/admin/companies/co-2", {"name": "Two", "api_keys": [KEY_2, KEY_1]}, token=given.staff)

    assert answer.status == 409
    assert KEY_1 not in answer.body
    assert api.get("/admin/companies/co-2", token=given.staff).status == 404


def test_a_company_keeps_its_keys_when_another_is_refused_one_of_them(
    api: Api, stack: LocalStack, given: Catalog
) -> None:
    given.company("co-1", [KEY_1])

    api.put("/admin/companies/co-2", {"name": "Two", "api_keys": [KEY_1]}, token=given.staff)

    plan_name = stack.template.resolve(
        stack.template.resources["SubscriptionPlansUsagePlan"]["Properties"]["UsagePlanName"]
    )
    assert keys_on_plan(boto3.client("apigateway", region_name="us-east-1"), plan_name) == {KEY_1}


def test_a_key_that_cannot_travel_in_a_header_is_400(api: Api, given: Catalog) -> None:
    answer = api.put("/admin/companies/co-1", {"name": "One", "api_keys": ["key-with a-space-0123"]}, token=given.staff)

    assert answer.status == 400
    assert "api_keys" in answer.json()["message"]
