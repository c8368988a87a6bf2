"""Admission and billing under concurrency: the balance never goes below zero, nothing is
billed twice (docs/product.md "Plan plays"). Each moto call is atomic, as each DynamoDB call is."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from planhub_local.stack import LocalStack
from tests.conftest import Api
from tests.plan_plays.conftest import PlanPlaySteps, learner


def test_fifty_parallel_creates_against_a_balance_of_twenty_admit_exactly_twenty(
    api: Api, plays: PlanPlaySteps
) -> None:
    # Given a client whose balance pays for 20 creates
    plays.client(credits={"balance": 20, "per_create": 1, "per_completion": 5})
    token = learner()

    # When 50 creates arrive at once
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: api.post("/api/plan-plays", {"planId": "plan-1"}, token=token), range(50)))

    # Then exactly 20 are created, 30 are refused for the balance, and the balance is spent, not overdrawn
    outcomes = Counter((a.status, (a.json() or {}).get("code")) for a in answers)
    assert outcomes == {(201, None): 20, (429, "api_balance_exhausted"): 30}
    assert plays.balance() == 0
    listed = api.get("/api/plan-plays?limit=200", token=token).json()
    assert listed["count"] == 20


def test_twenty_parallel_completions_of_one_plan_play_bill_one_completion(
    api: Api, stack: LocalStack, plays: PlanPlaySteps
) -> None:
    # Given a plan play in progress and credits for several completions
    plays.client(credits={"balance": 100, "per_create": 1, "per_completion": 5})
    token = learner()
    play = plays.create(token)

    # When 20 PATCHes complete it at once
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(
            pool.map(
                lambda _: api.patch(f"/api/plan-plays/{play['id']}", {"status": "completed"}, token=token), range(20)
            )
        )

    # Then every request sees it completed, and one completion is billed and metered
    assert {a.status for a in answers} == {200}
    assert {a.json()["data"]["status"] for a in answers} == {"completed"}
    assert len({a.json()["data"]["completedAt"] for a in answers}) == 1
    assert plays.balance() == 100 - 1 - 5
    stack.drain()
    usage = plays.usage()
    assert (usage["creates"], usage["completions"], usage["creditsConsumed"]) == (1, 1, 6)


def test_parallel_creates_never_pass_the_rate_limit(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client allowed 5 requests a day
    plays.client(rate_limit={"requests": 5, "per_seconds": 86400})
    token = learner()

    # When 15 creates arrive at once
    with ThreadPoolExecutor(max_workers=15) as pool:
        answers = list(pool.map(lambda _: api.post("/api/plan-plays", {"planId": "plan-1"}, token=token), range(15)))

    # Then 5 are created and 10 are told to wait
    outcomes = Counter((a.status, (a.json() or {}).get("code")) for a in answers)
    assert outcomes == {(201, None): 5, (429, "api_rate_limited"): 10}
