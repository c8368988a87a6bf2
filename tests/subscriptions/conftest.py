"""Given-steps for subscription plans: a company with API keys, its products, its users.

These tests share one local stack per module (`world`), overriding the suite's per-test
`stack` and `given` fixtures: every test makes its own plans (or its own company) and
looks only at them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from planhub.storage import Table
from planhub.subscriptions.models import BillingInterval, IntervalUnit, PlanMethod, SubscriptionPlan
from planhub.subscriptions.repository import SubscriptionPlanRepository
from planhub_local import tokens
from planhub_local.gateway import Gateway, HttpResponse
from planhub_local.stack import LocalStack
from tests.conftest import Api, Catalog

COMPANY = "57ee9c71d76d431f8511142f"
OTHER_COMPANY = "57ee9c71d76d431f85111430"
API_KEY = "share-key-0123456789abcdef"
OTHER_API_KEY = "share-key-of-another-company-0001"
PRODUCT_1 = "5931697ed57ba271c0c7de64"  # 100.00 NOK
PRODUCT_2 = "5931697ed57ba271c0c7de65"  # 200.00 NOK


def seed_plan(**fields: Any) -> dict[str, Any]:
    """The seed's example request ("Plan Deluxe"), with `fields` changed."""
    body: dict[str, Any] = {
        "interval_unit": "WEEK",
        "name": "Plan Deluxe",
        "currency": "NOK",
        "static": True,
        "billing_interval": "MONTH",
        "items": [{"product": PRODUCT_1, "quantity": 1}, {"product": PRODUCT_2, "quantity": 2, "discount": 0.5}],
        "initial_fail_amount_action": "CONTINUE",
        "max_fail_attempts": 1,
        "note": "This is a note regarding the Plan",
        "interval_count": False,
        "total_amount": False,
        "discount": 0,
        "prorate": False,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def recurring_plan(**fields: Any) -> dict[str, Any]:
    """The seed's recurring order plan example, with `fields` changed."""
    defaults: dict[str, Any] = {
        "method": "recurring_order",
        "name": "Recurring Order Plan Deluxe",
        "static": False,
        "recurring_days": [{"day": 0, "hour": 10, "minute": 42}, {"day": 4, "hour": 20, "minute": 15}],
    }
    return seed_plan(**{**defaults, **fields})


def company_token(user: str, *, admin: bool = False, company: str = COMPANY) -> str:
    return tokens.token(user, company={"id": company, "admin": admin})


def stored_plan(company_id: str, number: int, *, name: str | None = None, amount: int = 1000) -> SubscriptionPlan:
    """A basic plan as the repository stores it, made `number` seconds after 2026-01-01."""
    created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=number)
    return SubscriptionPlan(
        id=f"{number:024x}",
        company_id=company_id,
        method=PlanMethod.BASIC,
        name=name or f"plan {number}",
        interval_unit=IntervalUnit.MONTH,
        billing_interval=BillingInterval.MONTH,
        units=0,
        currency="NOK",
        total_amount=amount,
        total_amount_given=True,
        created=created,
        updated=created,
        version=1,
    )


def load_plans(stack: LocalStack, plans: list[SubscriptionPlan]) -> None:
    """Plans written in batches through the repository: large fixtures without 1 call each."""
    SubscriptionPlanRepository(Table(stack.table_name)).bulk_load(plans)


@dataclass
class Plans:
    """The /plans API as a company's user calls it: bearer token and X-Share-Api-Key."""

    api: Api
    token: str
    key: str | None = API_KEY

    def _headers(self) -> dict[str, str]:
        return {"X-Share-Api-Key": self.key} if self.key is not None else {}

    def as_(self, token: str, key: str | None = API_KEY) -> Plans:
        return Plans(self.api, token, key)

    def create(self, body: dict[str, Any]) -> HttpResponse:
        return self.api.post("/plans", body, token=self.token, headers=self._headers())

    def created(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.create(body)
        assert answer.status == 200, answer.body
        return dict(answer.json())

    def get(self, plan_id: str) -> HttpResponse:
        return self.api.get(f"/plans/{plan_id}", token=self.token, headers=self._headers())

    def list(self, query: str = "") -> HttpResponse:
        return self.api.get(f"/plans{'?' + query if query else ''}", token=self.token, headers=self._headers())

    def update(self, plan_id: str, body: dict[str, Any]) -> HttpResponse:
        return self.api.put(f"/plans/{plan_id}", body, token=self.token, headers=self._headers())

    def delete(self, plan_id: str) -> HttpResponse:
        return self.api.delete(f"/plans/{plan_id}", token=self.token, headers=self._headers())


class Bus:
    """What reached the bus: a rule of the test's own keeps every subscription event in a queue."""

    QUEUE = "test-subscription-events"
    TYPES = ("subscription plan created", "subscription plan updated", "subscription plan deleted", "order due")

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.url = stack.sqs.create_queue(QueueName=self.QUEUE)["QueueUrl"]
        arn = stack.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": ["planhub"], "detail-type": list(self.TYPES)}
        stack.events.put_rule(Name="test-subscriptions", EventBusName=stack.bus_name, EventPattern=json.dumps(pattern))
        stack.events.put_targets(
            Rule="test-subscriptions", EventBusName=stack.bus_name, Targets=[{"Id": "queue", "Arn": arn}]
        )
        self.seen: list[dict[str, Any]] = []

    def events(self, detail_type: str) -> list[dict[str, Any]]:
        """Every event of `detail_type` published so far (outbox -> stream -> publisher -> bus)."""
        self.stack.drain()
        while messages := self.stack.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                self.seen.append(json.loads(message["Body"]))
                self.stack.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [e for e in self.seen if e["detail-type"] == detail_type]

    def orders(self) -> list[dict[str, Any]]:
        """The data of every "order due" event so far."""
        return [e["detail"]["data"] for e in self.events("order due")]


@dataclass
class World:
    """One local stack for a whole test module (a stack per test costs most of a second):
    the seed's company with its two products (100 NOK and 200 NOK), and another company.
    Tests that need a company of their own (an empty list) make one with `new_company`."""

    stack: LocalStack
    api: Api
    given: Catalog
    bus: Bus

    def new_company(self, company_id: str) -> str:
        self.given.company(company_id, [f"{API_KEY}-{company_id}"])
        return company_id

    def plans_of(self, company_id: str, user: str = "admin-1", *, admin: bool = True) -> Plans:
        return Plans(self.api, company_token(user, admin=admin, company=company_id), f"{API_KEY}-{company_id}")


@contextmanager
def new_world() -> Iterator[World]:
    with mock_aws():
        stack = LocalStack().create(from_snapshot=True)
        api = Api(Gateway(stack))
        given = Catalog(api, tokens.staff())
        given.company(COMPANY, [API_KEY])
        given.company(OTHER_COMPANY, [OTHER_API_KEY])
        given.product(PRODUCT_1, COMPANY, 100.0, "NOK")
        given.product(PRODUCT_2, COMPANY, 200.0, "NOK")
        yield World(stack, api, given, Bus(stack))


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with new_world() as made:
        yield made


@pytest.fixture
def given(world: World) -> Catalog:
    return world.given


@pytest.fixture
def stack(world: World) -> LocalStack:
    return world.stack


@pytest.fixture
def bus(world: World) -> Bus:
    return world.bus


@pytest.fixture
def admin(world: World) -> Plans:
    return Plans(world.api, company_token("admin-1", admin=True))


@pytest.fixture
def member(world: World) -> Plans:
    return Plans(world.api, company_token("member-1"))
