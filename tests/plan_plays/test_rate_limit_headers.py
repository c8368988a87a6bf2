"""`RateLimit-Policy` and `RateLimit` (IETF httpapi rate-limit headers draft) on the plan-play
routes (docs/product.md "Everyday operations"): on success and on 429, consistent with `Retry-After`."""

from __future__ import annotations

import re

from tests.conftest import Api
from tests.plan_plays.conftest import PlanPlaySteps, learner, staff

CREATE = {"planId": "plan-1", "plannedLessons": ["lesson-1"]}
ITEM = re.compile(r'^"(?P<name>[a-z]+)";(?P<params>.+)$')


def parsed(value: str | None) -> dict[str, dict[str, int]]:
    """A structured-field list of `"name";k=v;...` items, as {name: {k: v}}."""
    assert value is not None
    found = {}
    for item in value.split(", "):
        match = ITEM.match(item)
        assert match, item
        found[match["name"]] = {k: int(v) for k, v in (p.split("=") for p in match["params"].split(";"))}
    return found


def test_a_create_answers_the_policy_and_what_remains(api: Api, plays: PlanPlaySteps) -> None:
    plays.client(rate_limit={"requests": 5, "per_seconds": 3600}, quota={"activities": 100, "period": "day"})
    token = learner()

    answer = api.post("/api/plan-plays", CREATE, token=token)

    assert answer.status == 201
    assert parsed(answer.header("RateLimit-Policy")) == {
        "rate": {"q": 5, "w": 3600},
        "quota": {"q": 100, "w": 86_400},
    }
    limits = parsed(answer.header("RateLimit"))
    assert (limits["rate"]["r"], limits["quota"]["r"]) == (4, 99)
    assert 0 < limits["rate"]["t"] <= 3600
    assert 0 < limits["quota"]["t"] <= 86_400


def test_reads_and_lists_answer_them_too_without_using_any_up(api: Api, plays: PlanPlaySteps) -> None:
    plays.client(rate_limit={"requests": 5, "per_seconds": 3600})
    token = learner()
    play = plays.create(token)

    for path in (f"/api/plan-plays/{play['id']}", "/api/plan-plays"):
        answer = api.get(path, token=token)
        assert answer.status == 200
        assert parsed(answer.header("RateLimit"))["rate"]["r"] == 4, path
    progress = api.patch(f"/api/plan-plays/{play['id']}", {"currentLessonIndex": 0}, token=token)
    assert parsed(progress.header("RateLimit"))["rate"]["r"] == 4


def test_a_429_says_none_remain_until_retry_after(api: Api, plays: PlanPlaySteps) -> None:
    plays.client(rate_limit={"requests": 1, "per_seconds": 3600})
    token = learner()
    plays.create(token)

    answer = api.post("/api/plan-plays", CREATE, token=token)

    assert answer.status == 429
    assert answer.json()["code"] == "api_rate_limited"
    rate = parsed(answer.header("RateLimit"))["rate"]
    assert rate["r"] == 0
    assert rate["t"] == int(answer.header("Retry-After") or 0) == answer.json()["retryAfterSeconds"]
    assert parsed(answer.header("RateLimit-Policy"))["rate"] == {"q": 1, "w": 3600}


def test_a_quota_429_names_the_quota(api: Api, plays: PlanPlaySteps) -> None:
    plays.client(quota={"activities": 1, "period": "month"})
    token = learner()
    plays.create(token)

    answer = api.post("/api/plan-plays", CREATE, token=token)

    assert answer.status == 429
    quota = parsed(answer.header("RateLimit"))["quota"]
    assert quota == {"r": 0, "t": int(answer.header("Retry-After") or 0)}


def test_a_client_without_limits_and_other_errors_get_no_headers(api: Api, plays: PlanPlaySteps) -> None:
    plays.client()
    token = learner()

    created = api.post("/api/plan-plays", CREATE, token=token)
    invalid = api.post("/api/plan-plays", {"planId": ""}, token=token)
    staff_without_client = api.get("/api/plan-plays?userId=u-ada", token=staff())

    assert created.status == 201 and created.header("RateLimit") is None
    assert invalid.status == 400 and invalid.header("RateLimit") is None
    assert staff_without_client.header("RateLimit") is None
