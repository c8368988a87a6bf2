"""Given-steps for subscription plans: a company with API keys, its products, its users."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from planhub_local import tokens
from planhub_local.gateway import HttpResponse
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
    return seed_plan(
        method="recurring_order",
        name="Recurring Order Plan Deluxe",
        static=False,
        recurring_days=[{"day": 0, "hour": 10, "minute": 42}, {"day": 4, "hour": 20, "minute": 15}],
        **fields,
    )


def company_token(user: str, *, admin: bool = False, company: str = COMPANY) -> str:
    return tokens.token(user, company={"id": company, "admin": admin})


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


@pytest.fixture
def company(given: Catalog) -> str:
    """The seed's company, its two products (100 NOK and 200 NOK), and another company."""
    given.company(COMPANY, [API_KEY])
    given.company(OTHER_COMPANY, [OTHER_API_KEY])
    given.product(PRODUCT_1, COMPANY, 100.0, "NOK")
    given.product(PRODUCT_2, COMPANY, 200.0, "NOK")
    return COMPANY


@pytest.fixture
def admin(api: Api, company: str) -> Plans:
    return Plans(api, company_token("admin-1", admin=True))


@pytest.fixture
def member(api: Api, company: str) -> Plans:
    return Plans(api, company_token("member-1"))


def order_due_events(stack: LocalStack) -> list[dict[str, Any]]:
    """Every "order due" event that reached the bus (through outbox, stream and publisher)."""
    stack.drain()
    queue_url = stack.sqs.get_queue_url(QueueName=ORDER_DUE_QUEUE)["QueueUrl"]
    found = []
    while True:
        messages = stack.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            stack.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


ORDER_DUE_QUEUE = "test-order-due-listener"


@pytest.fixture
def order_due_listener(stack: LocalStack) -> LocalStack:
    """A rule on the bus that keeps every "order due" event in a queue the test reads."""
    url = stack.sqs.create_queue(QueueName=ORDER_DUE_QUEUE)["QueueUrl"]
    arn = stack.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stack.events.put_rule(
        Name="test-order-due",
        EventBusName=stack.bus_name,
        EventPattern=json.dumps({"source": ["planhub"], "detail-type": ["order due"]}),
    )
    stack.events.put_targets(Rule="test-order-due", EventBusName=stack.bus_name, Targets=[{"Id": "q", "Arn": arn}])
    return stack
