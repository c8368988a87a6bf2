"""Races the areas' own tests do not cover (the table in docs/decisions/hardening.md lists
those that do). Each moto call is serialized, as each DynamoDB call is atomic, so threads
see real conditional-write semantics; each race is run over several objects at once so
that the interleavings differ."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from planhub_local import tokens
from planhub_local.stack import LocalStack
from tests.conftest import Api, Catalog

COURSES = [f"c{n}" for n in range(6)]
CLIENT = "c-race"


def learner_token() -> str:
    return tokens.token("u1", roles={"p-acme": ["learner"]}, email="u1@example.com", client_id=CLIENT)


def admin_token() -> str:
    return tokens.token("adm", roles={"p-acme": ["admin"]}, email="adm@example.com")


def test_a_plan_and_an_enrolment_created_at_once_end_linked(api: Api, given: Catalog) -> None:
    # Given six courses u1 has neither a plan nor an enrolment in
    given.portal()
    given.user("u1")
    for course in COURSES:
        given.learning_object(course, "course")
    learner, admin = learner_token(), admin_token()

    # When, for each course at once, the admin assigns it and the learner enrols in it
    def assign(course: str) -> Any:
        return api.post(f"/enrolment/plan/p-acme/{course}/user/u1", {"status": 1, "notify": False}, token=admin)

    def enrol(course: str) -> Any:
        return api.post(f"/enrolment/p-acme/0/{course}/enrolment/in-progress", {"notify": False}, token=learner)

    with ThreadPoolExecutor(max_workers=12) as pool:
        plans = list(pool.map(assign, COURSES))
        enrolments = list(pool.map(enrol, COURSES))
    assert {a.status for a in plans + enrolments} == {200}, [a.body for a in plans + enrolments]

    # Then in every course the plan knows its enrolment, whichever came first (the shared contract)
    unlinked = []
    for course, plan, enrolment in zip(COURSES, plans, enrolments, strict=True):
        stored = api.get(f"/enrolment/plan/{plan.json()['id']}", token=admin).json()
        if str(stored["enrolment_id"]) != str(enrolment.json()["id"]):
            unlinked.append(course)
    assert unlinked == []


def test_creates_racing_top_ups_keep_the_balance_to_the_credit(api: Api, given: Catalog, stack: LocalStack) -> None:
    # Given a client with 10 credits, 1 per create
    given.client(CLIENT, {"credits": {"balance": 10, "per_create": 1, "per_completion": 5}})
    learner = learner_token()

    # When 40 creates and 10 top-ups of 1 credit arrive at once
    def create(_: int) -> int:
        return api.post("/api/plan-plays", {"planId": "plan-1"}, token=learner).status

    def top_up(_: int) -> int:
        return api.post(f"/admin/clients/{CLIENT}/credits", {"amount": 1}, token=tokens.staff()).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        created = pool.map(create, range(40))
        topped = pool.map(top_up, range(10))
        statuses, top_ups = list(created), list(topped)

    # Then every top-up counts, each admitted create paid one credit, no more than there were
    admitted = statuses.count(201)
    assert top_ups == [200] * 10
    assert set(statuses) <= {201, 429}
    assert 10 <= admitted <= 20
    client = api.get(f"/admin/clients/{CLIENT}", token=tokens.staff()).json()
    assert client["balance"] == 10 + 10 - admitted

    # And metering counts exactly the admitted creates
    stack.drain()
    usage = api.get(f"/api/usage?clientId={CLIENT}", token=tokens.staff()).json()["data"]
    assert (usage["creates"], usage["creditsConsumed"]) == (admitted, admitted)
