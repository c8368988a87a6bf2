"""POST /api/plan-plays (seeds/plan-plays-api.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Api
from tests.plan_plays.conftest import CLIENT, LESSONS, OTHER_CLIENT, PlanPlaySteps, learner, staff


def test_a_client_creates_a_plan_play_in_progress_for_the_caller(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client without limits
    plays.client()
    before = datetime.now(UTC) - timedelta(seconds=1)

    # When a user of the client creates a plan play
    answer = api.post(
        "/api/plan-plays",
        {
            "planId": "plan-1",
            "plannedLessons": LESSONS,
            "displayName": "Ada L.",
            "photoURL": "https://example.com/ada.png",
            "assignmentSource": "manager",
            "riskLevel": "low",
        },
        token=learner("u-ada"),
    )

    # Then it is created in progress, for the caller and the caller's client, at the start
    assert answer.status == 201, answer.body
    play = answer.json()["data"]
    assert play["id"]
    assert (play["clientId"], play["userId"], play["planId"]) == (CLIENT, "u-ada", "plan-1")
    assert play["plannedLessons"] == LESSONS
    assert (play["displayName"], play["photoURL"]) == ("Ada L.", "https://example.com/ada.png")
    assert (play["assignmentSource"], play["riskLevel"]) == ("manager", "low")
    assert play["email"] == "u-ada@example.com"
    assert play["status"] == "in_progress"
    assert (play["currentLessonIndex"], play["completedLessons"], play["totalLessonsCompleted"]) == (0, [], 0)
    assert play["completedLessonPlays"] == []
    assert play["completedAt"] is None and play["lastPlayedAt"] is None
    assert datetime.fromisoformat(play["createdAt"]) >= before
    assert play["updatedAt"] == play["createdAt"]


def test_a_created_plan_play_can_be_read_back(api: Api, plays: PlanPlaySteps) -> None:
    # Given a created plan play
    plays.client()
    token = learner()
    created = plays.create(token)

    # When it is read
    answer = api.get(f"/api/plan-plays/{created['id']}", token=token)

    # Then it is what the create answered
    assert answer.status == 200
    assert answer.json() == {"data": created}


def test_a_create_without_a_plan_id_is_refused_naming_the_field(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When a create names no plan
    answer = api.post("/api/plan-plays", {"plannedLessons": LESSONS}, token=learner())

    # Then it is a 400 in the seed's shape, naming planId
    assert answer.status == 400
    body = answer.json()
    assert set(body) == {"error", "details"}
    assert [d["field"] for d in body["details"]] == ["body.planId"]


def test_a_create_lists_every_invalid_field_at_once(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When a create has several problems
    answer = api.post(
        "/api/plan-plays",
        {"planId": "", "plannedLessons": ["a", "a"], "email": "not-an-email", "colour": "blue"},
        token=learner(),
    )

    # Then each one is listed
    assert answer.status == 400
    fields = {d["field"] for d in answer.json()["details"]}
    assert {"body.planId", "body.plannedLessons", "body.email", "body.colour"} <= fields


def test_a_create_without_a_token_is_unauthorized(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When a create comes without a token
    answer = api.post("/api/plan-plays", {"planId": "plan-1"})

    # Then the gateway answers 401 with an error
    assert answer.status == 401
    assert "error" in answer.json()


def test_a_learner_cannot_create_a_plan_play_for_someone_else(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When a user creates a plan play for another user
    answer = api.post("/api/plan-plays", {"planId": "plan-1", "userId": "u-bob"}, token=learner("u-ada"))

    # Then access is denied
    assert answer.status == 403
    assert answer.json() == {"error": "Access denied"}


def test_staff_may_create_a_plan_play_for_any_user_of_a_client_they_name(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client(OTHER_CLIENT)

    # When staff create a plan play for a user of that client
    answer = api.post(
        f"/api/plan-plays?clientId={OTHER_CLIENT}", {"planId": "plan-1", "userId": "u-bob"}, token=staff()
    )

    # Then it belongs to that user and client
    assert answer.status == 201, answer.body
    play = answer.json()["data"]
    assert (play["clientId"], play["userId"]) == (OTHER_CLIENT, "u-bob")


def test_a_learner_cannot_name_another_client(api: Api, plays: PlanPlaySteps) -> None:
    # Given two clients
    plays.client(CLIENT)
    plays.client(OTHER_CLIENT)

    # When a user of one names the other
    answer = api.post(f"/api/plan-plays?clientId={OTHER_CLIENT}", {"planId": "plan-1"}, token=learner())

    # Then access is denied
    assert answer.status == 403
    assert answer.json() == {"error": "Access denied"}


def test_a_token_of_an_unregistered_client_cannot_create(api: Api, plays: PlanPlaySteps) -> None:
    # Given no client c-nobody

    # When its token creates a plan play
    answer = api.post("/api/plan-plays", {"planId": "plan-1"}, token=learner(client_id="c-nobody"))

    # Then access is denied and nothing is created
    assert answer.status == 403
    assert "error" in answer.json()
    assert api.get("/api/plan-plays?clientId=c-nobody", token=staff()).json()["count"] == 0


def test_a_token_without_a_client_cannot_create(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When a user whose token names no client creates a plan play
    answer = api.post("/api/plan-plays", {"planId": "plan-1"}, token=learner(client_id=None))

    # Then access is denied
    assert answer.status == 403


def test_a_create_repeated_with_its_idempotency_key_answers_the_first_plan_play_billed_once(
    api: Api, plays: PlanPlaySteps
) -> None:
    # Given a client paying per create
    plays.client(credits={"balance": 10, "per_create": 2, "per_completion": 0})
    token = learner()
    body = {"planId": "plan-1", "plannedLessons": LESSONS}

    # When the same create is sent twice with the same Idempotency-Key
    first = api.post("/api/plan-plays", body, token=token, headers={"Idempotency-Key": "order-42"})
    second = api.post("/api/plan-plays", body, token=token, headers={"Idempotency-Key": "order-42"})

    # Then both answer the same plan play, and it is billed once
    assert (first.status, second.status) == (201, 201)
    assert second.json() == first.json()
    assert plays.balance() == 8
    assert api.get("/api/plan-plays", token=token).json()["count"] == 1


def test_an_idempotency_key_reused_for_another_plan_is_a_conflict(api: Api, plays: PlanPlaySteps) -> None:
    # Given a plan play created with an Idempotency-Key
    plays.client()
    token = learner()
    api.post("/api/plan-plays", {"planId": "plan-1"}, token=token, headers={"Idempotency-Key": "k-1"})

    # When the key is sent again with another plan
    answer = api.post("/api/plan-plays", {"planId": "plan-2"}, token=token, headers={"Idempotency-Key": "k-1"})

    # Then it is a conflict
    assert answer.status == 409
    assert "error" in answer.json()
