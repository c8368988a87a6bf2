"""Rate limit, quota and credits on billable plan-play requests (docs/product.md "Plan plays")."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.conftest import Api, Catalog
from tests.plan_plays.conftest import CLIENT, OTHER_CLIENT, PlanPlaySteps, learner

CREATE = {"planId": "plan-1", "plannedLessons": ["lesson-1"]}


def seconds_until(moment: datetime) -> int:
    return int((moment - datetime.now(UTC)).total_seconds())


def next_month_start() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)


def next_midnight() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def test_a_create_pays_per_create_from_the_live_balance(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client with 10 credits, 3 per create
    plays.client(credits={"balance": 10, "per_create": 3, "per_completion": 5})

    # When a plan play is created
    plays.create(learner())

    # Then the balance is 3 credits lower
    assert plays.balance() == 7


def test_the_first_completion_pays_per_completion_once_however_often_it_is_sent(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play of a client paying 5 per completion
    plays.client(credits={"balance": 20, "per_create": 1, "per_completion": 5})
    token = learner()
    play = plays.create(token)

    # When it is completed, then the completion is retried, also as ended
    plays.complete(token, play["id"])
    plays.complete(token, play["id"])
    plays.complete(token, play["id"], status="ended")

    # Then one completion was paid
    assert plays.balance() == 20 - 1 - 5


def test_the_rate_limit_refuses_with_api_rate_limited_until_the_window_ends(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client allowed one request per hour, which it has used
    plays.client(rate_limit={"requests": 1, "per_seconds": 3600})
    token = learner()
    plays.create(token)

    # When it sends another
    window_left = 3600 - int(time.time()) % 3600
    answer = api.post("/api/plan-plays", CREATE, token=token)

    # Then it is told to come back when the hour's window ends, in the body and the header
    assert answer.status == 429
    body = answer.json()
    assert set(body) == {"error", "code", "retryAfterSeconds"}
    assert body["code"] == "api_rate_limited"
    assert abs(body["retryAfterSeconds"] - window_left) <= 2
    assert answer.header("Retry-After") == str(body["retryAfterSeconds"])


def test_the_monthly_quota_refuses_with_api_quota_exceeded_until_next_month(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client allowed two activities a month, which it has used
    plays.client(quota={"activities": 2, "period": "month"})
    token = learner()
    plays.create(token)
    plays.create(token)

    # When it creates another
    answer = api.post("/api/plan-plays", CREATE, token=token)

    # Then it is told to come back at the start of next month (UTC)
    assert answer.status == 429
    body = answer.json()
    assert body["code"] == "api_quota_exceeded"
    assert abs(body["retryAfterSeconds"] - seconds_until(next_month_start())) <= 2
    assert answer.header("Retry-After") == str(body["retryAfterSeconds"])


def test_the_daily_quota_refuses_until_midnight_utc(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client allowed one activity a day, which it has used
    plays.client(quota={"activities": 1, "period": "day"})
    token = learner()
    plays.create(token)

    # When it creates another
    answer = api.post("/api/plan-plays", CREATE, token=token)

    # Then it is told to come back at midnight UTC
    assert answer.status == 429
    assert answer.json()["code"] == "api_quota_exceeded"
    assert abs(answer.json()["retryAfterSeconds"] - seconds_until(next_midnight())) <= 2


def test_an_exhausted_balance_refuses_with_api_balance_exhausted_and_no_retry_time(
    api: Api, plays: PlanPlaySteps
) -> None:
    # Given a client whose balance paid for one create
    plays.client(credits={"balance": 1, "per_create": 1, "per_completion": 0})
    token = learner()
    plays.create(token)

    # When it creates another
    answer = api.post("/api/plan-plays", CREATE, token=token)

    # Then only a top-up helps: no retry time, no Retry-After header, and nothing was created
    assert answer.status == 429
    assert answer.json()["code"] == "api_balance_exhausted"
    assert answer.json()["retryAfterSeconds"] is None
    assert answer.header("Retry-After") is None
    assert api.get("/api/plan-plays", token=token).json()["count"] == 1
    assert plays.balance() == 0


def test_the_rate_limit_is_checked_before_the_quota_and_the_balance(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client that has used its request, its quota and its credits with one create
    plays.client(
        rate_limit={"requests": 1, "per_seconds": 3600},
        quota={"activities": 1, "period": "month"},
        credits={"balance": 1, "per_create": 1, "per_completion": 0},
    )
    token = learner()
    plays.create(token)

    # When it creates another
    answer = api.post("/api/plan-plays", CREATE, token=token)

    # Then the rate limit is what it is told about
    assert answer.json()["code"] == "api_rate_limited"


def test_the_quota_is_checked_before_the_balance(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client that has used its quota and its credits with one create
    plays.client(
        quota={"activities": 1, "period": "month"}, credits={"balance": 1, "per_create": 1, "per_completion": 0}
    )
    token = learner()
    plays.create(token)

    # When it creates another
    answer = api.post("/api/plan-plays", CREATE, token=token)

    # Then the quota is what it is told about
    assert answer.json()["code"] == "api_quota_exceeded"


def test_a_top_up_lets_a_client_create_again(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client whose balance is exhausted
    plays.client(credits={"balance": 0, "per_create": 2, "per_completion": 0})
    token = learner()
    assert api.post("/api/plan-plays", CREATE, token=token).status == 429

    # When staff top it up
    plays.top_up(5)

    # Then it creates again, paying from the new balance
    assert api.post("/api/plan-plays", CREATE, token=token).status == 201
    assert plays.balance() == 3


def test_a_completion_the_balance_cannot_pay_is_refused_and_the_plan_play_stays_in_progress(
    api: Api, plays: PlanPlaySteps
) -> None:
    # Given a plan play whose client cannot pay for a completion
    plays.client(credits={"balance": 1, "per_create": 1, "per_completion": 5})
    token = learner()
    play = plays.create(token)

    # When it is completed
    answer = api.patch(
        f"/api/plan-plays/{play['id']}", {"status": "completed", "totalLessonsCompleted": 1}, token=token
    )

    # Then the completion is refused and nothing of the update was applied
    assert answer.status == 429
    assert answer.json()["code"] == "api_balance_exhausted"
    stored = api.get(f"/api/plan-plays/{play['id']}", token=token).json()["data"]
    assert (stored["status"], stored["completedAt"], stored["totalLessonsCompleted"]) == ("in_progress", None, 0)


def test_a_refused_completion_is_billed_once_it_is_paid_for(api: Api, plays: PlanPlaySteps) -> None:
    # Given a completion refused for the balance
    plays.client(credits={"balance": 1, "per_create": 1, "per_completion": 5})
    token = learner()
    play = plays.create(token)
    assert api.patch(f"/api/plan-plays/{play['id']}", {"status": "completed"}, token=token).status == 429

    # When the client tops up and retries
    plays.top_up(5)
    answer = api.patch(f"/api/plan-plays/{play['id']}", {"status": "completed"}, token=token)

    # Then it is completed and paid once
    assert (answer.status, answer.json()["data"]["status"]) == (200, "completed")
    assert plays.balance() == 0


def test_completions_count_against_the_quota(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client allowed two activities a month, which a create and its completion used
    plays.client(quota={"activities": 2, "period": "month"})
    token = learner()
    play = plays.create(token)
    plays.complete(token, play["id"])

    # When it creates another
    answer = api.post("/api/plan-plays", CREATE, token=token)

    # Then its quota is exceeded
    assert answer.json()["code"] == "api_quota_exceeded"


def test_a_first_completion_is_rate_limited_like_a_create(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client allowed one request an hour, used by a create
    plays.client(rate_limit={"requests": 1, "per_seconds": 3600})
    token = learner()
    play = plays.create(token)

    # When the plan play is completed
    answer = api.patch(f"/api/plan-plays/{play['id']}", {"status": "completed"}, token=token)

    # Then the completion must wait
    assert answer.status == 429
    assert answer.json()["code"] == "api_rate_limited"


def test_updates_that_are_not_billable_are_not_limited(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client that has used its request and its credits
    plays.client(
        rate_limit={"requests": 1, "per_seconds": 3600}, credits={"balance": 1, "per_create": 1, "per_completion": 1}
    )
    token = learner()
    play = plays.create(token)

    # When the plan play's progress is recorded
    answer = api.patch(f"/api/plan-plays/{play['id']}", {"status": "paused", "currentLessonIndex": 0}, token=token)

    # Then it is accepted
    assert answer.status == 200


def test_a_refused_request_does_not_use_up_the_rate_window(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client allowed two requests an hour and credits for one create
    plays.client(
        rate_limit={"requests": 2, "per_seconds": 3600}, credits={"balance": 1, "per_create": 1, "per_completion": 0}
    )
    token = learner()
    plays.create(token)
    assert api.post("/api/plan-plays", CREATE, token=token).json()["code"] == "api_balance_exhausted"

    # When it is topped up and creates again
    plays.top_up(1)
    second = api.post("/api/plan-plays", CREATE, token=token)

    # Then the refused request did not count: this one is the second of the window
    assert second.status == 201
    assert api.post("/api/plan-plays", CREATE, token=token).json()["code"] == "api_rate_limited"


def test_a_client_without_a_policy_is_unlimited_and_free(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client with no policy parts
    plays.client()
    token = learner()

    # When it creates and completes several plan plays
    for n in range(4):
        play = plays.create(token, f"plan-{n}")
        plays.complete(token, play["id"])

    # Then all were admitted, and it has no balance
    assert api.get("/api/plan-plays", token=token).json()["count"] == 4
    assert plays.balance() is None


def test_a_policy_change_applies_to_the_very_next_request(api: Api, plays: PlanPlaySteps, given: Catalog) -> None:
    # Given a client that has created under a free policy
    plays.client()
    token = learner()
    plays.create(token)

    # When staff make it pay, with nothing to pay with, and later make it free again
    given.client(CLIENT, {"credits": {"balance": 0, "per_create": 1, "per_completion": 0}})
    paying = api.post("/api/plan-plays", CREATE, token=token)
    given.client(CLIENT, {})
    free = api.post("/api/plan-plays", CREATE, token=token)

    # Then each request met the policy of its moment
    assert (paying.status, paying.json().get("code")) == (429, "api_balance_exhausted")
    assert free.status == 201


def test_one_clients_limits_leave_another_client_alone(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client with an exhausted balance and another with credits
    plays.client(CLIENT, credits={"balance": 0, "per_create": 1, "per_completion": 0})
    plays.client(OTHER_CLIENT, credits={"balance": 2, "per_create": 1, "per_completion": 0})

    # When both create a plan play
    refused = api.post("/api/plan-plays", CREATE, token=learner("u-ada", CLIENT))
    created = api.post("/api/plan-plays", CREATE, token=learner("u-ada", OTHER_CLIENT))

    # Then each is judged, and pays, on its own
    assert refused.status == 429
    assert created.status == 201
    assert (plays.balance(CLIENT), plays.balance(OTHER_CLIENT)) == (0, 1)
