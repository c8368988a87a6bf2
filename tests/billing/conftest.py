"""Given-steps for billing: the seed's company and plans, payment methods, and the billing run.

One local stack per test module (`world`), as tests/subscriptions do; tests that travel in
time or count charges make a stack of their own (`fresh`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from planhub.storage import Table
from planhub_local import tokens
from planhub_local.gateway import HttpResponse
from planhub_local.stack import LocalStack
from tests.conftest import Api
from tests.subscriptions.conftest import API_KEY, COMPANY, World, company_token, new_world, seed_plan

__all__ = ["API_KEY", "COMPANY", "World", "company_token", "seed_plan"]

BILLING_RUN = "BillSubscriptionsFunction"


@dataclass
class Client:
    """The section 9 routes as one company user calls them (bearer token and X-Share-Api-Key)."""

    api: Api
    user: str
    admin: bool = False
    key: str | None = API_KEY
    company: str = COMPANY

    @property
    def token(self) -> str:
        company = {"id": self.company, "admin": self.admin}
        return tokens.token(self.user, company=company, email=f"{self.user}@example.com", name=self.user.title())

    def _headers(self) -> dict[str, str]:
        return {"X-Share-Api-Key": self.key} if self.key is not None else {}

    def post(self, path: str, body: dict[str, Any]) -> HttpResponse:
        return self.api.post(path, body, token=self.token, headers=self._headers())

    def get(self, path: str) -> HttpResponse:
        return self.api.get(path, token=self.token, headers=self._headers())

    def ok(self, answer: HttpResponse) -> dict[str, Any]:
        assert answer.status == 200, answer.body
        return dict(answer.json())

    def ok_list(self, path: str) -> list[dict[str, Any]]:
        answer = self.get(path)
        assert answer.status == 200, answer.body
        return list(answer.json())

    def plan(self, **fields: Any) -> str:
        admin = Client(self.api, "admin-1", admin=True, key=self.key, company=self.company)
        return str(admin.ok(admin.post("/plans", seed_plan(**fields)))["_id"]["$oid"])

    def subscribe(self, plan_id: str, **fields: Any) -> dict[str, Any]:
        return self.ok(self.post("/subscriptions", {"plan": plan_id, **fields}))

    def start(self, subscription_id: str, **fields: Any) -> HttpResponse:
        return self.post(f"/subscriptions/{subscription_id}/start", fields)


def payment_method(stack: LocalStack, user: str, method_id: str = "", *, token: str = "tok_visa") -> str:  # noqa: S107
    """A payment method of `user`, added through POST /payment_methods with the card of `token`
    (a Stripe customer at the test endpoint); answers its id. `method_id` is not used."""
    from planhub_local.gateway import Gateway

    client = Client(Api(Gateway(stack)), user)
    return str(client.ok(client.post("/payment_methods", {"method": "stripe", "token": token}))["_id"]["$oid"])


def stored_item(stack: LocalStack, key: dict[str, str]) -> dict[str, Any] | None:
    return Table(stack.table_name).get(key, consistent=True)  # type: ignore[arg-type]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def at(ms_value: int) -> datetime:
    return datetime.fromtimestamp(ms_value / 1000, UTC)


def billing_run(world: World, moment: datetime) -> dict[str, int]:
    """The billing schedule fires for `moment` (as EventBridge Scheduler would send it)."""
    event = {
        "version": "0",
        "id": f"billing-{moment.isoformat()}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }
    return dict(world.stack.invoke(BILLING_RUN, event))


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with new_world() as made:
        yield made


@pytest.fixture
def fresh() -> Iterator[World]:
    with new_world() as made:
        yield made
