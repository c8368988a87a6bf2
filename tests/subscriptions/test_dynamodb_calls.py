"""What the subscription-plan routes cost in DynamoDB calls on their success paths: the
minimum each access pattern needs (benchmarks/route_calls.py prints them with reasons)."""

from __future__ import annotations

from collections import Counter

import pytest

from planhub_local.dynamodb_calls import recorded
from tests.subscriptions.conftest import Plans, World, seed_plan


@pytest.fixture
def plans(world: World, request: pytest.FixtureRequest) -> Plans:
    return world.plans_of(world.new_company(f"c-{request.node.name}"[:100]))


def test_listing_plans_makes_a_query_per_list_and_one_batch_read(plans: Plans) -> None:
    plans.created(seed_plan(name="one", items=[], total_amount=10))

    with recorded() as calls:
        answer = plans.list()

    assert answer.status == 200
    # The company's basic and recurring lists, then the company (its API key) with the page.
    assert calls.operations() == Counter({"Query": 2, "BatchGetItem": 1})


def test_reading_a_plan_makes_one_batch_read(plans: Plans) -> None:
    plan = plans.created(seed_plan(name="one", items=[], total_amount=10))

    with recorded() as calls:
        answer = plans.get(plan["_id"]["$oid"])

    assert answer.status == 200
    assert calls.operations() == Counter({"BatchGetItem": 1})


def test_creating_a_plan_makes_one_batch_read_and_one_transaction(plans: Plans) -> None:
    with recorded() as calls:
        answer = plans.create(seed_plan(name="one", items=[], total_amount=10))

    assert answer.status == 200
    assert calls.operations() == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


def test_a_list_refused_for_its_api_key_answers_no_plan(plans: Plans) -> None:
    # The key is checked on the read that also fetches the page: nothing of it may leak.
    plans.created(seed_plan(name="secret", items=[], total_amount=10))

    answer = plans.as_(plans.token, key="not-the-key").list()

    assert answer.status == 403
    assert "secret" not in answer.body
