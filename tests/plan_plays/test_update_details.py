"""A plan-play PATCH's 400 names each field and lists every problem in `details` (docs/product.md
"Plan plays"), numbers of any size included."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Api
from tests.plan_plays.conftest import PlanPlaySteps, learner

HUGE = 12345678901234567890123456789012345678901  # 41 digits: no DynamoDB number holds it


def test_a_huge_number_and_a_bad_index_are_both_listed_by_field(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play with three planned lessons
    plays.client()
    token = learner()
    play = plays.create(token)

    # When a PATCH sends a 41-digit total and an index past the lessons
    body = {"totalLessonsCompleted": HUGE, "currentLessonIndex": HUGE, "completedLessons": ["nope"]}
    answer = api.patch(f"/api/plan-plays/{play['id']}", body, token=token)

    # Then a 400 whose details name each field with its problem
    assert answer.status == 400, answer.body
    error = answer.json()
    fields = {d["field"] for d in error["details"]}
    assert fields == {"body.totalLessonsCompleted", "body.currentLessonIndex", "body.completedLessons"}
    assert "body.totalLessonsCompleted" in error["error"]
    assert not error["error"].startswith(":")


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    field=st.sampled_from(["totalLessonsCompleted", "currentLessonIndex"]),
    number=st.one_of(st.integers(min_value=10**9 + 1, max_value=10**4000), st.integers(max_value=-1)),
)
def test_any_out_of_range_integer_is_a_400_naming_its_field(
    api: Api, plays: PlanPlaySteps, field: str, number: int
) -> None:
    plays.client()
    token = learner()
    play = plays.create(token)

    answer = api.patch(f"/api/plan-plays/{play['id']}", {field: number}, token=token)

    assert answer.status == 400, answer.body[:300]
    assert [d["field"] for d in answer.json()["details"]] == [f"body.{field}"]
