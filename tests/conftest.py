"""Every endpoint test goes through the same template-driven gateway as `make local`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from planhub_local.stack import configure_process

configure_process()  # before any boto3 client exists: credentials, region, layer on the path

from moto import mock_aws  # noqa: E402

from planhub_local import tokens  # noqa: E402
from planhub_local.client import Api  # noqa: E402
from planhub_local.gateway import Gateway  # noqa: E402
from planhub_local.stack import LocalStack  # noqa: E402
from planhub_local.stripe_endpoint import StripeEndpoint  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def stripe_server() -> Iterator[StripeEndpoint]:
    """One Stripe test endpoint per test process; every function's SDK talks to it (never to Stripe)."""
    import os

    endpoint = StripeEndpoint().start()
    os.environ["STRIPE_API_BASE"] = endpoint.url
    yield endpoint
    endpoint.stop()


@pytest.fixture(autouse=True)
def stripe_endpoint(stripe_server: StripeEndpoint, monkeypatch: pytest.MonkeyPatch) -> StripeEndpoint:
    """The Stripe test endpoint, emptied for this test: count charges and refunds here.

    The gateway's retry waits are shortened (same attempts, milliseconds instead of seconds).
    """
    from planhub.payments import gateway

    stripe_server.reset()
    monkeypatch.setattr(gateway, "DEFAULT_RETRY", gateway.RetryPolicy(base_delay=0.002, max_delay=0.01))
    return stripe_server


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with mock_aws():
        yield LocalStack().create(from_snapshot=True)


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(Gateway(stack))


@pytest.fixture
def staff_token() -> str:
    return tokens.staff()


class Catalog:
    """Given-steps: catalog records created through the admin API, as staff would."""

    def __init__(self, api: Api, staff: str) -> None:
        self.api = api
        self.staff = staff

    def _put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.api.put(path, body, token=self.staff)
        assert answer.status == 200, answer.body
        return dict(answer.json())

    def portal(self, portal_id: str = "p-acme", name: str = "acme.example.com") -> dict[str, Any]:
        return self._put(f"/admin/portals/{portal_id}", {"name": name, "title": portal_id})

    def user(
        self,
        user_id: str,
        portal_id: str = "p-acme",
        *,
        managers: list[str] | None = None,
        roles: list[str] | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "email": email or f"{user_id}@example.com",
            "name": user_id.title(),
            "roles": roles or ["learner"],
            "managers": managers or [],
        }
        return self._put(f"/admin/portals/{portal_id}/users/{user_id}", body)

    def group(self, group_id: str, members: list[str], portal_id: str = "p-acme") -> dict[str, Any]:
        return self._put(f"/admin/portals/{portal_id}/groups/{group_id}", {"title": group_id, "members": members})

    def learning_object(
        self,
        lo_id: str,
        lo_type: str = "course",
        portal_id: str = "p-acme",
        *,
        children: list[str] | None = None,
        assessors: list[str] | None = None,
        price: dict[str, Any] | None = None,
        marketplace: bool = False,
    ) -> dict[str, Any]:
        body = {
            "portal": portal_id,
            "type": lo_type,
            "title": f"{lo_type} {lo_id}",
            "children": children or [],
            "assessors": assessors or [],
            "price": price,
            "marketplace": marketplace,
        }
        return self._put(f"/admin/los/{lo_id}", body)

    def company(self, company_id: str, api_keys: list[str]) -> dict[str, Any]:
        return self._put(f"/admin/companies/{company_id}", {"name": company_id, "api_keys": api_keys})

    def product(self, product_id: str, company_id: str, price: float, currency: str = "NOK") -> dict[str, Any]:
        body = {"company": company_id, "name": product_id, "price": price, "currency": currency}
        return self._put(f"/admin/products/{product_id}", body)

    def client(self, client_id: str, policy: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._put(f"/admin/clients/{client_id}", {"name": client_id, "policy": policy or {}})

    def coupon(self, code: str, portal_id: str = "p-acme", **fields: Any) -> dict[str, Any]:
        return self._put(f"/admin/coupons/{code}", {"portal": portal_id, "discount": 0.5, **fields})

    def credit_tokens(self, lo_id: str, count: int = 1, portal_id: str = "p-acme") -> list[str]:
        answer = self.api.post(
            f"/admin/portals/{portal_id}/credit-tokens", {"lo_id": lo_id, "count": count}, token=self.staff
        )
        assert answer.status == 200, answer.body
        return list(answer.json()["tokens"])


@pytest.fixture
def given(api: Api, staff_token: str) -> Catalog:
    return Catalog(api, staff_token)


class Published:
    """Every domain event that reached the bus, through a catch-all rule of the tests' own."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.url = stack.sqs.create_queue(QueueName="tests-every-event")["QueueUrl"]
        arn = stack.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        stack.events.put_rule(
            Name="tests-every-event", EventBusName=stack.bus_name, EventPattern='{"source": ["planhub"]}'
        )
        stack.events.put_targets(
            Rule="tests-every-event", EventBusName=stack.bus_name, Targets=[{"Id": "q", "Arn": arn}]
        )
        self.seen: list[dict[str, Any]] = []

    def events(self, detail_type: str | None = None) -> list[dict[str, Any]]:
        """The domain events (EventBridge `detail`) published so far, after draining the stack."""
        self.stack.drain()
        while messages := self.stack.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                self.seen.append(json.loads(message["Body"])["detail"])
                self.stack.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [e for e in self.seen if detail_type is None or e["type"] == detail_type]


@pytest.fixture
def published(stack: LocalStack) -> Published:
    return Published(stack)
