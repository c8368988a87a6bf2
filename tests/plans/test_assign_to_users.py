"""POST /enrolment/plan/{instance}/{loId}/users: one LO to up to 500 users, answered per user."""

from __future__ import annotations

from typing import Any

import pytest

from planhub.records.user import User
from planhub.storage import Table
from planhub_local import dynamodb_calls
from planhub_local.gateway import HttpResponse
from tests.conftest import Published
from tests.plans.conftest import OTHER_PORTAL, PORTAL, Plans, admin_token, in_days, learner_token


def assign_many(
    plans: Plans, user_ids: list[str], token: str | None = None, lo_id: str = "c1", **fields: Any
) -> HttpResponse:
    body = {"user_ids": user_ids, "status": 1, "notify": False, **fields}
    return plans.api.post(f"/enrolment/plan/{PORTAL}/{lo_id}/users", body, token=token or plans.staff)


def test_each_user_is_answered_with_their_plan_id(plans: Plans) -> None:
    answer = assign_many(plans, ["u1", "u2", "u3"])

    assert answer.status == 200
    outcomes = answer.json()
    assert list(outcomes) == ["u1", "u2", "u3"]
    for user in ("u1", "u2", "u3"):
        plan = plans.plan(outcomes[user]["200"]["id"])
        assert (plan["user_id"], plan["lo_id"], plan["archived"]) == (user, "c1", False)


def test_a_users_failure_undoes_nothing_else(plans: Plans) -> None:
    answer = assign_many(plans, ["u1", "nobody", "u2"], token=learner_token("mgr"))

    outcomes = answer.json()
    assert answer.status == 200
    assert "200" in outcomes["u1"]
    assert "200" in outcomes["u2"]
    assert outcomes["nobody"] == {"404": {"message": f"User nobody not found in portal {PORTAL}"}}


def test_a_manager_assigns_only_their_reports(plans: Plans) -> None:
    outcomes = assign_many(plans, ["u1", "u3", "self"], token=learner_token("mgr")).json()

    assert "200" in outcomes["u1"]
    assert list(outcomes["u3"]) == ["403"]
    assert "200" in outcomes["self"]
    assert plans.plan(outcomes["self"]["200"]["id"])["user_id"] == "mgr"


def test_an_admin_of_another_portal_is_refused_without_learning_who_exists(plans: Plans) -> None:
    answer = assign_many(plans, ["u1", "nobody"], token=admin_token(portal_id=OTHER_PORTAL))

    assert answer.status == 403
    assert "u1" not in answer.body


def test_a_learner_is_answered_per_user_and_assigns_only_themselves(plans: Plans) -> None:
    outcomes = assign_many(plans, ["u1", "u2"], token=learner_token("u1")).json()

    assert "200" in outcomes["u1"]
    assert list(outcomes["u2"]) == ["403"]


def test_an_already_assigned_user_keeps_their_plan_and_a_version_2_reassigns(plans: Plans) -> None:
    existing = plans.assigned("u1", {"status": 1, "notify": False})

    kept = assign_many(plans, ["u1", "u2"]).json()
    replaced = assign_many(plans, ["u1"], version=2, due_date=in_days(3)).json()

    assert kept["u1"] == {"200": {"id": existing}}
    assert replaced["u1"]["200"]["id"] != existing
    assert plans.plan(existing)["archived"] is True


def test_a_version_2_archives_a_begun_enrolment(plans: Plans) -> None:
    plans.assigned("u1", {"status": 1, "notify": False})
    enrolment_id = plans.enrol("u1", "c1", "in-progress")

    assign_many(plans, ["u1", "u2"], version=2, due_date=in_days(3))

    assert plans.enrolment(enrolment_id)["archived"] is True


def test_each_new_user_gets_the_new_assignment_email(plans: Plans) -> None:
    assign_many(plans, ["u1", "u2"], notify=True)

    assert [e["subject"] for e in plans.emails(to="u1@example.com")] == ["New assignment: course c1"]
    assert [e["subject"] for e in plans.emails(to="u2@example.com")] == ["New assignment: course c1"]


def test_writes_are_batched_in_transactions_not_one_request_per_user(plans: Plans) -> None:
    users = [f"bulk-{n}" for n in range(60)]
    for user in users:
        plans.given.user(user, PORTAL)

    with dynamodb_calls.recorded() as calls:
        answer = assign_many(plans, users)

    assert all("200" in outcome for outcome in answer.json().values())
    # 60 users x (user, 2 refs) + portal + alias + LO = 183 keys: 2 BatchGetItems; 60 x 4 writes: 3 transactions
    assert calls.operations() == {"BatchGetItem": 2, "TransactWriteItems": 3}


def test_a_user_assigned_meanwhile_is_answered_the_winners_plan(
    plans: Plans, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A packed transaction cancelled by one user's concurrent assignment is redone one by one."""
    from planhub.plans import service

    original = service.PlanService.assign_all
    winner: dict[str, str] = {}

    def assign_all(self: service.PlanService, members: Any) -> Any:
        if not winner:
            winner["id"] = plans.assigned("u2", {"status": 1, "notify": False})
        return original(self, members)

    monkeypatch.setattr(service.PlanService, "assign_all", assign_all)

    outcomes = assign_many(plans, ["u1", "u2", "u3"]).json()

    assert outcomes["u2"] == {"200": {"id": winner["id"]}}
    assert "200" in outcomes["u1"]
    assert "200" in outcomes["u3"]
    assert len(published.events("plan assigned")) == 3


@pytest.mark.parametrize(
    "body",
    [
        {"user_ids": [], "status": 1},
        {"user_ids": ["u1", "u1"], "status": 1},
        {"user_ids": [f"u{n}" for n in range(501)], "status": 1},
        {"user_ids": ["u1"], "status": 2},
        {"user_ids": ["u1"], "status": 1, "version": 2},
        {"user_ids": ["u1"], "status": 1, "assigner_id": 5},
        {"user_ids": "u1", "status": 1},
    ],
    ids=[
        "no users",
        "a user twice",
        "501 users",
        "status 2",
        "version 2 without due date",
        "unknown field",
        "a string",
    ],
)
def test_a_bad_body_is_400(plans: Plans, body: dict[str, Any]) -> None:
    answer = plans.api.post(f"/enrolment/plan/{PORTAL}/c1/users", body, token=plans.staff)

    assert answer.status == 400
    assert "message" in answer.json()


def test_an_unknown_portal_or_lo_is_404_and_a_module_400(plans: Plans) -> None:
    assert (
        plans.api.post("/enrolment/plan/nowhere/c1/users", {"user_ids": ["u1"], "status": 1}, token=plans.staff).status
        == 404
    )
    assert assign_many(plans, ["u1"], lo_id="nothing").status == 404
    assert assign_many(plans, ["u1"], lo_id="m1").status == 400


def test_500_users_are_answered(plans: Plans) -> None:
    table = Table(plans.stack.table_name)
    users = [f"many-{n}" for n in range(500)]
    # Written directly: 500 admin PUTs would take most of the test's time.
    table.write_many(puts=[User(portal_id=PORTAL, id=u, email=f"{u}@example.com", name=u).to_item() for u in users])

    answer = assign_many(plans, users)

    assert answer.status == 200, answer.body
    assert sum("200" in outcome for outcome in answer.json().values()) == 500
