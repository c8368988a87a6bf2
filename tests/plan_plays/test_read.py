"""GET /api/plan-plays/{planPlayId} (seeds/plan-plays-api.md)."""

from __future__ import annotations

from tests.conftest import Api
from tests.plan_plays.conftest import OTHER_CLIENT, PlanPlaySteps, learner, staff


def test_an_unknown_plan_play_is_not_found(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client with no plan play
    plays.client()

    # When a plan play id nobody created is read
    answer = api.get("/api/plan-plays/6561f0a2c3b1e2d4f5a6b7c8", token=learner())

    # Then the seed's 404 answers
    assert answer.status == 404
    assert answer.json() == {"error": "Plan play not found"}


def test_another_clients_plan_play_is_access_denied(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play of another client's user with the same user id
    plays.client()
    plays.client(OTHER_CLIENT)
    theirs = plays.create(learner("u-ada", OTHER_CLIENT))

    # When a user of this client reads it
    answer = api.get(f"/api/plan-plays/{theirs['id']}", token=learner("u-ada"))

    # Then the seed's 403 answers
    assert answer.status == 403
    assert answer.json() == {"error": "Access denied"}


def test_another_learners_plan_play_of_the_same_client_is_access_denied(api: Api, plays: PlanPlaySteps) -> None:
    # Given Bob's plan play
    plays.client()
    bobs = plays.create(learner("u-bob"))

    # When Ada reads it
    answer = api.get(f"/api/plan-plays/{bobs['id']}", token=learner("u-ada"))

    # Then access is denied
    assert answer.status == 403
    assert answer.json() == {"error": "Access denied"}


def test_staff_may_read_any_plan_play(api: Api, plays: PlanPlaySteps) -> None:
    # Given a user's plan play
    plays.client()
    play = plays.create(learner("u-bob"))

    # When staff read it
    answer = api.get(f"/api/plan-plays/{play['id']}", token=staff())

    # Then they see it
    assert answer.status == 200
    assert answer.json()["data"]["id"] == play["id"]


def test_reading_without_a_token_is_unauthorized(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play
    plays.client()
    play = plays.create(learner())

    # When it is read without a token
    answer = api.get(f"/api/plan-plays/{play['id']}")

    # Then the gateway answers 401
    assert answer.status == 401
