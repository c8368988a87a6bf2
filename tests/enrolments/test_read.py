"""Reading an enrolment and its history: the learner, their managers, admins, assessors, staff."""

from __future__ import annotations

from planhub_local import tokens
from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, Learning, admin_token


def given_enrolment(learning: Learning) -> int:
    learning.given.learning_object("q1", "quiz", PORTAL, assessors=["assessor-1"])
    return learning.enrol(learning.learner("u1", managers=["boss"]), "q1")


def test_the_learner_reads_their_enrolment(api: Api, learning: Learning) -> None:
    enrolment_id = given_enrolment(learning)

    answer = api.get(f"/enrolment/enrolment/{enrolment_id}", token=tokens.token("u1"))

    assert answer.status == 200
    body = answer.json()
    assert {k: body[k] for k in ("id", "portal_id", "user_id", "lo_id", "status", "archived", "version")} == {
        "id": enrolment_id,
        "portal_id": PORTAL,
        "user_id": "u1",
        "lo_id": "q1",
        "status": "in-progress",
        "archived": False,
        "version": 1,
    }


def test_managers_admins_assessors_and_staff_read_the_enrolment_and_its_history(api: Api, learning: Learning) -> None:
    enrolment_id = given_enrolment(learning)
    readers = {
        "manager": tokens.token("boss"),
        "admin": admin_token(),
        "assessor": tokens.token("assessor-1"),
        "staff": tokens.staff(),
    }

    for who, token in readers.items():
        for suffix in ("", "/history"):
            answer = api.get(f"/enrolment/enrolment/{enrolment_id}{suffix}", token=token)

            assert answer.status == 200, (who, suffix)


def test_anyone_else_may_not_read_the_enrolment_or_its_history(api: Api, learning: Learning) -> None:
    enrolment_id = given_enrolment(learning)
    others = [tokens.token("u2", roles={PORTAL: ["learner", "manager"]}), admin_token_of_another_portal()]

    for token in others:
        for suffix in ("", "/history"):
            assert api.get(f"/enrolment/enrolment/{enrolment_id}{suffix}", token=token).status == 403


def admin_token_of_another_portal() -> str:
    return tokens.token("admin-2", roles={"p-other": ["admin"]})


def test_an_unknown_enrolment_is_404(api: Api, learning: Learning) -> None:
    for suffix in ("", "/history"):
        assert api.get(f"/enrolment/enrolment/777{suffix}", token=learning.given.staff).status == 404


def test_an_enrolment_id_that_is_not_a_number_is_400(api: Api, learning: Learning) -> None:
    answer = api.get("/enrolment/enrolment/abc", token=learning.given.staff)

    assert answer.status == 400
    assert "enrolmentId" in answer.json()["message"]


def test_the_history_comes_newest_first_in_pages(api: Api, learning: Learning) -> None:
    learning.given.learning_object("t1", "text", PORTAL)
    token = learning.learner("u1")
    enrolment_id = learning.enrol(token, "t1", status="not-started")
    for status in ("in-progress", "pending", "in-progress", "completed"):
        api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": status}, token=token)

    seen: list[str] = []
    cursor = None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = api.get(f"/enrolment/enrolment/{enrolment_id}/history{query}", token=token).json()
        assert len(page["data"]) <= 2
        seen += [entry["to"] for entry in page["data"]]
        cursor = page["cursor"]
        if cursor is None:
            break

    assert seen == ["completed", "in-progress", "pending", "in-progress", "not-started"]


def test_a_cursor_this_api_did_not_give_out_is_400(api: Api, learning: Learning) -> None:
    enrolment_id = given_enrolment(learning)

    answer = api.get(f"/enrolment/enrolment/{enrolment_id}/history?cursor=not-a-cursor", token=learning.given.staff)

    assert answer.status == 400
    assert "cursor" in answer.json()["message"]
