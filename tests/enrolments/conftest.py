"""Enrolment tests' Given-steps: a course tree, learners and their tokens. Stripe payments go to
the local Stripe test endpoint (tests/conftest.py's `stripe_endpoint`), where they are counted."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from planhub.storage import Table, Write
from planhub_local import tokens
from planhub_local.client import Api
from planhub_local.dynamodb_calls import recorded
from tests.conftest import Catalog

PORTAL = "p-acme"
PORTAL_NAME = "acme.example.com"
DECLINED_CARD = "tok_chargeDeclined"


class Learning:
    """Given-steps of the enrolment tests, on top of the catalog's."""

    def __init__(self, api: Api, given: Catalog) -> None:
        self.api = api
        self.given = given

    def portal(self) -> None:
        self.given.portal(PORTAL, PORTAL_NAME)

    def course_tree(self, course: str = "c1", modules: dict[str, list[str]] | None = None) -> None:
        """A course of modules of learning items (text items unless named `quiz...`)."""
        modules = modules if modules is not None else {"m1": ["i1", "i2"]}
        for items in modules.values():
            for item in items:
                self.given.learning_object(item, "quiz" if item.startswith("quiz") else "text", PORTAL)
        for module, items in modules.items():
            self.given.learning_object(module, "module", PORTAL, children=items)
        self.given.learning_object(course, "course", PORTAL, children=list(modules))

    def learner(self, user_id: str = "u1", *, managers: list[str] | None = None) -> str:
        self.given.user(user_id, PORTAL, managers=managers)
        return tokens.token(user_id, roles={PORTAL: ["learner"]})

    def enrol(
        self,
        token: str,
        lo_id: str,
        *,
        parent_lo: str = "0",
        parent_enrolment: int | None = None,
        status: str = "in-progress",
        body: dict[str, Any] | None = None,
    ) -> int:
        answer = self.api.post(enrolment_path(lo_id, parent_lo, status, parent_enrolment), body or {}, token=token)
        assert answer.status == 200, answer.body
        return int(answer.json()["id"])

    def enrolment(self, enrolment_id: int) -> dict[str, Any]:
        answer = self.api.get(f"/enrolment/enrolment/{enrolment_id}", token=self.given.staff)
        assert answer.status == 200, answer.body
        return dict(answer.json())

    def history(self, enrolment_id: int) -> list[dict[str, Any]]:
        answer = self.api.get(f"/enrolment/enrolment/{enrolment_id}/history", token=self.given.staff)
        assert answer.status == 200, answer.body
        return list(answer.json()["data"])


def enrolment_path(
    lo_id: str, parent_lo: str = "0", status: str = "in-progress", parent_enrolment: int | None = None
) -> str:
    path = f"/enrolment/{PORTAL}/{parent_lo}/{lo_id}/enrolment/{status}"
    return path if parent_enrolment is None else f"{path}?parentEnrolmentId={parent_enrolment}"


def admin_token(user_id: str = "admin-1") -> str:
    return tokens.token(user_id, roles={PORTAL: ["admin"]})


@pytest.fixture
def learning(api: Api, given: Catalog) -> Learning:
    steps = Learning(api, given)
    steps.portal()
    return steps


class DynamoDBCalls:
    """The DynamoDB operations made while `counting()` is open, on this thread: what one
    request costs in round trips (recorded by the local stack, warm containers included)."""

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        operations: list[str] = []
        with recorded() as calls:
            yield operations
        operations.extend(call.operation for call in calls)


@pytest.fixture
def dynamodb_calls() -> DynamoDBCalls:
    return DynamoDBCalls()


def before_the_next_transaction(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """Makes `change` happen between a request's reads and its transaction (once)."""
    real = Table.transact
    pending = [change]

    def transact(table: Table, writes: Sequence[Write]) -> None:
        if pending:
            pending.pop()()
        real(table, writes)

    monkeypatch.setattr(Table, "transact", transact)
