"""GET /api/plan-plays: filters, who sees what, newest first, limit and cursor (docs/product.md "Plan plays")."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.plan_plays.conftest import CLIENT, OTHER_CLIENT, PlanPlaySteps, learner, staff


def ids(answer: Any) -> list[str]:
    return [p["id"] for p in answer.json()["data"]]


def test_a_learner_lists_their_own_plan_plays_newest_first_with_their_count(api: Api, plays: PlanPlaySteps) -> None:
    # Given three plan plays of Ada's, created one after the other, and one of Bob's
    plays.client()
    ada = learner("u-ada")
    created = [plays.create(ada, f"plan-{n}")["id"] for n in range(3)]
    plays.create(learner("u-bob"))

    # When Ada lists her plan plays
    answer = api.get("/api/plan-plays", token=ada)

    # Then she sees hers only, newest first, and count says how many were returned
    assert answer.status == 200
    assert ids(answer) == list(reversed(created))
    assert answer.json()["count"] == 3


def test_staff_list_every_plan_play_of_the_client_they_name(api: Api, plays: PlanPlaySteps) -> None:
    # Given plan plays of two users of one client and one of another client
    plays.client()
    plays.client(OTHER_CLIENT)
    mine = [plays.create(learner("u-ada"))["id"], plays.create(learner("u-bob"))["id"]]
    plays.create(learner("u-ada", OTHER_CLIENT))

    # When staff list the first client's plan plays
    answer = api.get(f"/api/plan-plays?clientId={CLIENT}", token=staff())

    # Then they see both users' plan plays of that client only
    assert answer.status == 200
    assert ids(answer) == list(reversed(mine))


def test_a_learner_cannot_name_another_client_in_a_list(api: Api, plays: PlanPlaySteps) -> None:
    # Given two clients
    plays.client()
    plays.client(OTHER_CLIENT)

    # When a user of one lists the other's plan plays
    answer = api.get(f"/api/plan-plays?clientId={OTHER_CLIENT}", token=learner())

    # Then access is denied
    assert answer.status == 403
    assert answer.json() == {"error": "Access denied"}


def test_a_learner_cannot_list_another_users_plan_plays(api: Api, plays: PlanPlaySteps) -> None:
    # Given Bob's plan play
    plays.client()
    plays.create(learner("u-bob"))

    # When Ada asks for Bob's plan plays
    answer = api.get("/api/plan-plays?userId=u-bob", token=learner("u-ada"))

    # Then access is denied
    assert answer.status == 403


def test_staff_filter_by_user(api: Api, plays: PlanPlaySteps) -> None:
    # Given plan plays of Ada and Bob
    plays.client()
    plays.create(learner("u-ada"))
    bobs = plays.create(learner("u-bob"))

    # When staff list Bob's
    answer = api.get(f"/api/plan-plays?clientId={CLIENT}&userId=u-bob", token=staff())

    # Then only Bob's is there
    assert ids(answer) == [bobs["id"]]


def test_the_list_filters_by_status_with_ended_meaning_completed(api: Api, plays: PlanPlaySteps) -> None:
    # Given a completed, a paused and an in-progress plan play
    plays.client()
    token = learner()
    done, paused, _ = (plays.create(token, f"plan-{n}") for n in range(3))
    plays.complete(token, done["id"])
    api.patch(f"/api/plan-plays/{paused['id']}", {"status": "paused"}, token=token)

    # When the list is filtered by status
    completed = api.get("/api/plan-plays?status=completed", token=token)
    ended = api.get("/api/plan-plays?status=ended", token=token)
    only_paused = api.get("/api/plan-plays?status=paused", token=token)

    # Then each filter finds its plan play
    assert ids(completed) == ids(ended) == [done["id"]]
    assert ids(only_paused) == [paused["id"]]


def test_the_list_filters_by_plan(api: Api, plays: PlanPlaySteps) -> None:
    # Given plan plays of two plans
    plays.client()
    token = learner()
    first = plays.create(token, "plan-1")
    plays.create(token, "plan-2")

    # When the list is filtered by the first plan
    answer = api.get("/api/plan-plays?planId=plan-1", token=token)

    # Then only its plan play is there
    assert ids(answer) == [first["id"]]


def test_an_unknown_status_filter_is_refused(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When the list is filtered by a status that does not exist
    answer = api.get("/api/plan-plays?status=finished", token=learner())

    # Then it is a 400 naming the parameter
    assert answer.status == 400
    assert [d["field"] for d in answer.json()["details"]] == ["query.status"]


def test_pages_of_limit_plan_plays_follow_each_other_by_cursor(api: Api, plays: PlanPlaySteps) -> None:
    # Given five plan plays
    plays.client()
    token = learner()
    created = [plays.create(token, f"plan-{n}")["id"] for n in range(5)]

    # When they are listed two at a time, following the cursor
    pages, cursor = [], None
    while True:
        answer = api.get("/api/plan-plays?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert answer.status == 200
        pages.append(ids(answer))
        cursor = answer.json()["cursor"]
        if cursor is None:
            break

    # Then every plan play comes once, newest first, two per page
    assert [len(p) for p in pages[:2]] == [2, 2]
    assert [i for page in pages for i in page] == list(reversed(created))


def test_a_filtered_page_is_filled_up_to_its_limit(api: Api, plays: PlanPlaySteps) -> None:
    # Given in-progress plan plays interleaved with paused ones
    plays.client()
    token = learner()
    in_progress = []
    for n in range(3):
        in_progress.append(plays.create(token, f"plan-{n}")["id"])
        paused = plays.create(token, f"plan-{n}-paused")
        api.patch(f"/api/plan-plays/{paused['id']}", {"status": "paused"}, token=token)

    # When a page of two in-progress plan plays is asked for
    answer = api.get("/api/plan-plays?status=in_progress&limit=2", token=token)

    # Then it holds two, the newest
    assert ids(answer) == list(reversed(in_progress))[:2]
    assert answer.json()["count"] == 2


def test_a_limit_above_200_is_refused(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When a list asks for 201 plan plays
    answer = api.get("/api/plan-plays?limit=201", token=learner())

    # Then it is a 400 naming limit
    assert answer.status == 400
    assert [d["field"] for d in answer.json()["details"]] == ["query.limit"]


def test_a_cursor_this_api_did_not_give_out_is_refused(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When a list is asked with a made-up cursor
    answer = api.get("/api/plan-plays?cursor=not-a-cursor", token=learner())

    # Then it is a 400 naming the cursor
    assert answer.status == 400
    assert [d["field"] for d in answer.json()["details"]] == ["query.cursor"]


def test_a_cursor_of_another_users_list_is_refused(api: Api, plays: PlanPlaySteps) -> None:
    # Given a cursor into Bob's list
    plays.client()
    bob = learner("u-bob")
    for n in range(2):
        plays.create(bob, f"plan-{n}")
    cursor = api.get("/api/plan-plays?limit=1", token=bob).json()["cursor"]

    # When Ada lists with it
    answer = api.get(f"/api/plan-plays?cursor={cursor}", token=learner("u-ada"))

    # Then it is refused rather than reading past Bob's plan plays
    assert cursor is not None
    assert answer.status == 400


def test_listing_without_a_token_is_unauthorized(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When the list is asked for without a token
    answer = api.get("/api/plan-plays")

    # Then the gateway answers 401
    assert answer.status == 401


def test_staff_whose_token_names_no_client_must_name_one(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When staff without a client in their token list plan plays naming none
    answer = api.get("/api/plan-plays", token=staff())

    # Then it is a 400 naming clientId
    assert answer.status == 400
    assert [d["field"] for d in answer.json()["details"]] == ["query.clientId"]
