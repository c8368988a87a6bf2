"""Plan tests' Given-steps: a portal with a course tree, learners, a manager, an admin; and the
emails, enrolments and events the plan routes cause, read back through the local stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from planhub_local import tokens
from planhub_local.client import Api
from planhub_local.gateway import HttpResponse
from planhub_local.stack import LocalStack
from tests.conftest import Catalog

PORTAL = "p-acme"
PORTAL_NAME = "acme.example.com"
OTHER_PORTAL = "p-other"


def learner_token(user_id: str, portal_id: str = PORTAL) -> str:
    return tokens.token(user_id, roles={portal_id: ["learner"]})


def admin_token(user_id: str = "admin-1", portal_id: str = PORTAL) -> str:
    return tokens.token(user_id, roles={portal_id: ["admin"]})


def in_days(days: float, *, hour: int | None = None) -> str:
    """An ISO 8601 UTC instant `days` from now (whole seconds)."""
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    if hour is not None:
        moment = moment.replace(hour=hour, minute=0, second=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Plans:
    """Given/When-steps of the plan tests, on top of the catalog's."""

    def __init__(self, api: Api, given: Catalog, stack: LocalStack) -> None:
        self.api = api
        self.given = given
        self.stack = stack
        self.staff = given.staff

    def world(self) -> None:
        """p-acme with course c1 (module m1 of text item i1); learners u1 and u2, managed by mgr."""
        self.given.portal(PORTAL, PORTAL_NAME)
        self.given.learning_object("i1", "text", PORTAL)
        self.given.learning_object("m1", "module", PORTAL, children=["i1"])
        self.given.learning_object("c1", "course", PORTAL, children=["m1"])
        self.given.user("mgr", PORTAL, roles=["manager"])
        self.given.user("u1", PORTAL, managers=["mgr"])
        self.given.user("u2", PORTAL, managers=["mgr"])
        self.given.user("u3", PORTAL)

    def assign(
        self,
        user_id: str,
        body: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        lo_id: str = "c1",
        instance: str = PORTAL,
    ) -> HttpResponse:
        return self.api.post(
            f"/enrolment/plan/{instance}/{lo_id}/user/{user_id}",
            {"status": 1} if body is None else body,
            token=token if token is not None else self.staff,
        )

    def assigned(self, user_id: str, body: dict[str, Any] | None = None, **kwargs: Any) -> str:
        answer = self.assign(user_id, body, **kwargs)
        assert answer.status == 200, answer.body
        return str(answer.json()["id"])

    def assign_group(
        self,
        group_id: str,
        body: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        lo_id: str = "c1",
        instance: str = PORTAL,
    ) -> HttpResponse:
        return self.api.post(
            f"/enrolment/plan/{instance}/{lo_id}/group/{group_id}",
            {"status": 1} if body is None else body,
            token=token if token is not None else self.staff,
        )

    def plan(self, plan_id: str, token: str | None = None) -> dict[str, Any]:
        answer = self.api.get(f"/enrolment/plan/{plan_id}", token=token or self.staff)
        assert answer.status == 200, answer.body
        return dict(answer.json())

    def enrol(self, user_id: str, lo_id: str = "c1", status: str = "in-progress") -> int:
        """A self-directed enrolment, through the enrolments API."""
        answer = self.api.post(
            f"/enrolment/{PORTAL}/0/{lo_id}/enrolment/{status}", {"notify": False}, token=learner_token(user_id)
        )
        assert answer.status == 200, answer.body
        return int(answer.json()["id"])

    def enrolment(self, enrolment_id: int) -> dict[str, Any]:
        answer = self.api.get(f"/enrolment/enrolment/{enrolment_id}", token=self.staff)
        assert answer.status == 200, answer.body
        return dict(answer.json())

    def emails(self, to: str | None = None) -> list[dict[str, Any]]:
        """Mail SES accepted, after every pending event was processed."""
        self.stack.drain()
        return [e for e in self.stack.sent_emails() if to is None or to in e["to"]]


@pytest.fixture
def plans(api: Api, given: Catalog, stack: LocalStack) -> Plans:
    steps = Plans(api, given, stack)
    steps.world()
    return steps
