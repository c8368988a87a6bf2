"""PATCH /api/plan-plays/{planPlayId}: the update fields and their validation (docs/product.md "Plan plays")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Api
from tests.plan_plays.conftest import OTHER_CLIENT, PlanPlaySteps, learner, staff


def test_a_learner_records_progress_on_their_plan_play(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play in progress
    plays.client()
    token = learner()
    play = plays.create(token)

    # When the learner records their progress
    answer = api.patch(
        f"/api/plan-plays/{play['id']}",
        {
            "currentLessonIndex": 2,
            "completedLessons": ["lesson-1", "lesson-2"],
            "completedLessonPlays": ["lp-1", "lp-2"],
            "totalLessonsCompleted": 2,
            "lastPlayedAt": "2026-11-20T09:30:00+01:00",
        },
        token=token,
    )

    # Then the plan play answers and keeps it, times in UTC
    assert answer.status == 200, answer.body
    updated = answer.json()["data"]
    assert updated["currentLessonIndex"] == 2
    assert updated["completedLessons"] == ["lesson-1", "lesson-2"]
    assert updated["completedLessonPlays"] == ["lp-1", "lp-2"]
    assert updated["totalLessonsCompleted"] == 2
    assert updated["lastPlayedAt"] == "2026-11-20T08:30:00.000Z"
    assert updated["status"] == "in_progress"
    assert updated["updatedAt"] > play["updatedAt"]
    assert api.get(f"/api/plan-plays/{play['id']}", token=token).json()["data"] == updated


def test_a_plan_play_may_be_paused_and_resumed(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play in progress
    plays.client()
    token = learner()
    play = plays.create(token)

    # When it is paused, then resumed
    paused = api.patch(f"/api/plan-plays/{play['id']}", {"status": "paused"}, token=token)
    resumed = api.patch(f"/api/plan-plays/{play['id']}", {"status": "in_progress"}, token=token)

    # Then each status is taken
    assert (paused.status, paused.json()["data"]["status"]) == (200, "paused")
    assert (resumed.status, resumed.json()["data"]["status"]) == (200, "in_progress")


def test_every_problem_of_an_update_is_listed_at_once(api: Api, plays: PlanPlaySteps) -> None:
    # Given a completed plan play of three lessons
    plays.client()
    token = learner()
    play = plays.create(token)
    plays.complete(token, play["id"])

    # When an update breaks every rule at once
    answer = api.patch(
        f"/api/plan-plays/{play['id']}",
        {"status": "in_progress", "currentLessonIndex": 3, "completedLessons": ["lesson-1", "lesson-9"]},
        token=token,
    )

    # Then a 400 lists each problem, and nothing changed
    assert answer.status == 400
    body = answer.json()
    assert body["error"]
    fields = [d["field"] for d in body["details"]]
    assert fields == ["body.status", "body.currentLessonIndex", "body.completedLessons"]
    assert "lesson-9" in body["details"][2]["message"]
    assert api.get(f"/api/plan-plays/{play['id']}", token=token).json()["data"]["status"] == "completed"


def test_a_current_lesson_index_outside_the_planned_lessons_is_refused(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play of three lessons
    plays.client()
    token = learner()
    play = plays.create(token)

    # When the current lesson is set before the first or after the last
    below = api.patch(f"/api/plan-plays/{play['id']}", {"currentLessonIndex": -1}, token=token)
    above = api.patch(f"/api/plan-plays/{play['id']}", {"currentLessonIndex": 3}, token=token)

    # Then both are refused naming the field
    for answer in (below, above):
        assert answer.status == 400
        assert [d["field"] for d in answer.json()["details"]] == ["body.currentLessonIndex"]


def test_completed_lessons_must_be_planned_lessons(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play of three lessons
    plays.client()
    token = learner()
    play = plays.create(token)

    # When a lesson that is not planned is reported completed
    answer = api.patch(f"/api/plan-plays/{play['id']}", {"completedLessons": ["lesson-4"]}, token=token)

    # Then it is refused naming the lesson
    assert answer.status == 400
    [detail] = answer.json()["details"]
    assert detail["field"] == "body.completedLessons"
    assert "lesson-4" in detail["message"]


def test_a_completed_plan_play_cannot_go_back(api: Api, plays: PlanPlaySteps) -> None:
    # Given a completed plan play
    plays.client()
    token = learner()
    play = plays.create(token)
    plays.complete(token, play["id"])

    # When it is set back to paused or in progress
    answers = [
        api.patch(f"/api/plan-plays/{play['id']}", {"status": s}, token=token) for s in ("paused", "in_progress")
    ]

    # Then both are refused
    assert [a.status for a in answers] == [400, 400]
    assert all(a.json()["details"][0]["field"] == "body.status" for a in answers)


def test_ended_completes_a_plan_play_and_sets_completed_at(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play in progress
    plays.client()
    token = learner()
    play = plays.create(token)
    before = datetime.now(UTC) - timedelta(seconds=1)

    # When it is ended
    answer = api.patch(f"/api/plan-plays/{play['id']}", {"status": "ended"}, token=token)

    # Then it is completed, at the time of the request
    assert answer.status == 200
    completed = answer.json()["data"]
    assert completed["status"] == "completed"
    assert datetime.fromisoformat(completed["completedAt"]) >= before


def test_a_completion_time_the_caller_gives_is_kept(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play in progress
    plays.client()
    token = learner()
    play = plays.create(token)

    # When it is completed with its completion time
    answer = api.patch(
        f"/api/plan-plays/{play['id']}", {"status": "completed", "completedAt": "2026-11-01T12:00:00Z"}, token=token
    )

    # Then that time is kept
    assert answer.json()["data"]["completedAt"] == "2026-11-01T12:00:00.000Z"


def test_a_completed_plan_play_still_takes_progress_fields(api: Api, plays: PlanPlaySteps) -> None:
    # Given a completed plan play
    plays.client()
    token = learner()
    play = plays.create(token)
    completed = plays.complete(token, play["id"])

    # When its lesson counters are corrected
    answer = api.patch(f"/api/plan-plays/{play['id']}", {"totalLessonsCompleted": 3}, token=token)

    # Then they change and the completion stays as it was
    assert answer.status == 200
    data = answer.json()["data"]
    assert data["totalLessonsCompleted"] == 3
    assert (data["status"], data["completedAt"]) == ("completed", completed["completedAt"])


def test_unknown_and_null_fields_are_refused(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play
    plays.client()
    token = learner()
    play = plays.create(token)

    # When an update names a field that cannot be updated, and another as null
    unknown = api.patch(f"/api/plan-plays/{play['id']}", {"planId": "plan-2"}, token=token)
    null = api.patch(f"/api/plan-plays/{play['id']}", {"currentLessonIndex": None}, token=token)

    # Then both are refused naming the field
    assert unknown.status == 400
    assert [d["field"] for d in unknown.json()["details"]] == ["body.planId"]
    assert null.status == 400
    assert [d["field"] for d in null.json()["details"]] == ["body.currentLessonIndex"]


def test_an_update_naming_no_field_is_refused(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play
    plays.client()
    token = learner()
    play = plays.create(token)

    # When an update sends an empty object
    answer = api.patch(f"/api/plan-plays/{play['id']}", {}, token=token)

    # Then it is refused
    assert answer.status == 400
    assert answer.json()["details"] == [{"field": "body", "message": "names no field to update"}]


def test_an_unknown_status_is_refused(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play
    plays.client()
    token = learner()
    play = plays.create(token)

    # When its status is set to something that does not exist
    answer = api.patch(f"/api/plan-plays/{play['id']}", {"status": "finished"}, token=token)

    # Then it is refused naming status
    assert answer.status == 400
    assert [d["field"] for d in answer.json()["details"]] == ["body.status"]


def test_updating_an_unknown_plan_play_is_not_found(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When a plan play nobody created is updated
    answer = api.patch("/api/plan-plays/6561f0a2c3b1e2d4f5a6b7c8", {"status": "paused"}, token=learner())

    # Then the seed's 404 answers
    assert answer.status == 404
    assert answer.json() == {"error": "Plan play not found"}


def test_updating_another_learners_plan_play_is_access_denied(api: Api, plays: PlanPlaySteps) -> None:
    # Given Bob's plan play
    plays.client()
    bobs = plays.create(learner("u-bob"))

    # When Ada updates it
    answer = api.patch(f"/api/plan-plays/{bobs['id']}", {"status": "paused"}, token=learner("u-ada"))

    # Then access is denied and it is unchanged
    assert answer.status == 403
    assert answer.json() == {"error": "Access denied"}
    assert api.get(f"/api/plan-plays/{bobs['id']}", token=staff()).json()["data"]["status"] == "in_progress"


def test_updating_another_clients_plan_play_is_access_denied(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play of another client
    plays.client()
    plays.client(OTHER_CLIENT)
    theirs = plays.create(learner("u-ada", OTHER_CLIENT))

    # When a user of this client completes it
    answer = api.patch(f"/api/plan-plays/{theirs['id']}", {"status": "completed"}, token=learner("u-ada"))

    # Then access is denied
    assert answer.status == 403
    assert answer.json() == {"error": "Access denied"}


def test_staff_may_update_any_plan_play(api: Api, plays: PlanPlaySteps) -> None:
    # Given a user's plan play
    plays.client()
    play = plays.create(learner("u-bob"))

    # When staff pause it
    answer = api.patch(f"/api/plan-plays/{play['id']}", {"status": "paused"}, token=staff())

    # Then it is paused
    assert (answer.status, answer.json()["data"]["status"]) == (200, "paused")


def test_updating_without_a_token_is_unauthorized(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play
    plays.client()
    play = plays.create(learner())

    # When it is updated without a token
    answer = api.patch(f"/api/plan-plays/{play['id']}", {"status": "paused"})

    # Then the gateway answers 401
    assert answer.status == 401
