"""Steps and fixtures of the plan-play tests (SPEC.md section 6), all through the API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from planhub.http import RestApi
from planhub_local import tokens
from tests.conftest import Api, Catalog

CLIENT = "c-acme"
OTHER_CLIENT = "c-globex"
LESSONS = ["lesson-1", "lesson-2", "lesson-3"]


def learner(user_id: str = "u-ada", client_id: str | None = CLIENT, **claims: Any) -> str:
    """A token of a user acting for an API client (not staff)."""
    return tokens.token(user_id, client_id=client_id, email=f"{user_id}@example.com", name=user_id.title(), **claims)


def staff(client_id: str | None = None) -> str:
    return tokens.token("staff-1", staff=True, client_id=client_id)


class PlanPlaySteps:
    """Given/When steps: plan plays and client state as a caller sees them through the API."""

    def __init__(self, api: Api, catalog: Catalog) -> None:
        self.api = api
        self.catalog = catalog

    def client(self, client_id: str = CLIENT, **policy: Any) -> None:
        self.catalog.client(client_id, policy)

    def create(self, token: str, plan_id: str = "plan-1", **fields: Any) -> dict[str, Any]:
        answer = self.api.post("/api/plan-plays", {"planId": plan_id, "plannedLessons": LESSONS, **fields}, token=token)
        assert answer.status == 201, answer.body
        return dict(answer.json()["data"])

    def complete(self, token: str, plan_play_id: str, status: str = "completed") -> dict[str, Any]:
        answer = self.api.patch(f"/api/plan-plays/{plan_play_id}", {"status": status}, token=token)
        assert answer.status == 200, answer.body
        return dict(answer.json()["data"])

    def balance(self, client_id: str = CLIENT) -> int | None:
        answer = self.api.get(f"/admin/clients/{client_id}", token=self.catalog.staff)
        assert answer.status == 200, answer.body
        balance: int | None = answer.json()["balance"]
        return balance

    def usage(self, client_id: str = CLIENT, period: str | None = None) -> dict[str, Any]:
        query = f"?clientId={client_id}" + (f"&period={period}" if period else "")
        answer = self.api.get(f"/api/usage{query}", token=staff())
        assert answer.status == 200, answer.body
        return dict(answer.json()["data"])

    def top_up(self, amount: int, client_id: str = CLIENT) -> None:
        answer = self.api.post(f"/admin/clients/{client_id}/credits", {"amount": amount}, token=self.catalog.staff)
        assert answer.status == 200, answer.body


@pytest.fixture
def plays(api: Api, given: Catalog) -> PlanPlaySteps:
    return PlanPlaySteps(api, given)


@pytest.fixture
def lambda_per_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each thread handles its request as if in its own Lambda container.

    Powertools keeps the request in hand in shared state (the proxy event on a class
    attribute, the routing context on the resolver), which is right on Lambda, where a
    container handles one request at a time. In-process threads would see each other's
    request (a 201 answered as 200, a route's context cleared mid-request), so concurrency
    tests give every thread its own.
    """
    local = threading.local()
    to_proxy_event = RestApi._to_proxy_event
    resolvers: dict[int, RestApi] = {}

    def own_proxy_event(self: RestApi, event: dict[str, Any]) -> Any:
        local.event = to_proxy_event(self, event)
        return local.event

    def own_context(self: RestApi) -> dict[str, Any]:
        resolvers[id(self)] = self
        contexts: dict[int, dict[str, Any]] = local.__dict__.setdefault("contexts", {})
        return contexts.setdefault(id(self), {})

    def set_own_context(self: RestApi, value: dict[str, Any]) -> None:
        resolvers[id(self)] = self
        local.__dict__.setdefault("contexts", {})[id(self)] = value

    monkeypatch.setattr(RestApi, "_to_proxy_event", own_proxy_event)
    monkeypatch.setattr(RestApi, "current_event", property(lambda self: local.event), raising=False)
    monkeypatch.setattr(RestApi, "context", property(own_context, set_own_context), raising=False)
    yield
    for resolver in resolvers.values():
        # A function first imported during the test kept its context per thread only;
        # give it back its own, as it will have once the patch is undone.
        resolver.__dict__["context"] = {}
