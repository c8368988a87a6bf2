"""`PUT /admin/clients/{id}` replaces a client's name and policy but never its live balance
(docs/product.md "Catalog"): the body's balance is the opening balance of a new client only."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from planhub_local.stack import LocalStack
from tests.conftest import Api, Catalog
from tests.plan_plays.conftest import CLIENT, PlanPlaySteps, learner


def policy(balance: int, per_create: int = 1, per_completion: int = 5) -> dict[str, Any]:
    return {"credits": {"balance": balance, "per_create": per_create, "per_completion": per_completion}}


def test_a_new_client_opens_with_the_body_balance(plays: PlanPlaySteps) -> None:
    plays.client(**policy(500))

    assert plays.balance() == 500


def test_replacing_the_policy_keeps_the_balance_left_after_consumption_and_top_up(
    api: Api, given: Catalog, plays: PlanPlaySteps
) -> None:
    # Given a client that opened with 50, spent 1 on a create, 5 on a completion, and was topped up by 40
    plays.client(**policy(50))
    token = learner()
    plays.complete(token, plays.create(token)["id"])
    plays.top_up(40)
    assert plays.balance() == 84

    # When staff replaces the policy with what they read before all that (the lost 40 credits)
    given.client(CLIENT, policy(50, per_create=2, per_completion=7))

    # Then the new prices apply and the live balance is kept
    answer = api.get(f"/admin/clients/{CLIENT}", token=given.staff).json()
    assert answer["balance"] == 84
    assert answer["policy"]["credits"] == {"balance": 84, "per_create": 2, "per_completion": 7}
    plays.create(token)
    assert plays.balance() == 82


def test_a_balance_survives_a_policy_without_credits_and_comes_back_with_them(
    given: Catalog, plays: PlanPlaySteps
) -> None:
    # Given a client with 30 credits left
    plays.client(**policy(30))

    # When its policy becomes free (no credits), then metered again with another opening balance
    given.client(CLIENT, {"credits": None})
    assert plays.balance() is None
    given.client(CLIENT, policy(1000))

    # Then the balance it had is back: nothing was lost, nothing was made up
    assert plays.balance() == 30


def test_policy_changes_racing_consumption_and_top_ups_lose_nothing(
    api: Api, stack: LocalStack, given: Catalog, plays: PlanPlaySteps
) -> None:
    # Given a client with 100 credits, 1 per create
    plays.client(**policy(100))
    token = learner()

    # When 30 creates, 10 top-ups of 7 and 10 policy PUTs (each with a stale balance of 100) race
    def create(_: int) -> int:
        return api.post("/api/plan-plays", {"planId": "plan-1"}, token=token).status

    def top_up(_: int) -> int:
        return api.post(f"/admin/clients/{CLIENT}/credits", {"amount": 7}, token=given.staff).status

    def put_policy(n: int) -> int:
        body = {"name": CLIENT, "policy": policy(100, per_create=1, per_completion=n)}
        return api.put(f"/admin/clients/{CLIENT}", body, token=given.staff).status

    jobs = [(create, n) for n in range(30)] + [(top_up, n) for n in range(10)] + [(put_policy, n) for n in range(10)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda job: (job[0].__name__, job[0](job[1])), jobs))

    # Then every request succeeded, and the balance is exactly opening + top-ups - creates
    assert {s for _, s in statuses if _ == "create"} == {201}
    assert {s for _, s in statuses if _ == "top_up"} == {200}
    assert {s for _, s in statuses if _ == "put_policy"} == {200}
    assert plays.balance() == 100 + 10 * 7 - 30
    stack.drain()
    assert plays.usage()["creditsConsumed"] == 30
