"""Steps and fixtures of the plan-play tests (docs/product.md "Plan plays"), all through the API."""

from __future__ import annotations

from typing import Any

import pytest

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
