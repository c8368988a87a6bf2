"""Behaviours the enrolment seeds promise, tried as a new user would (issue 12, docs/product.md "Enrolments")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from planhub_local import tokens
from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, Learning, admin_token

STUDENT = "student@example.com"


def test_leaving_out_the_status_segment_enrols_in_progress(api: Api, learning: Learning) -> None:
    # Given a course and a learner
    learning.course_tree()
    token = learning.learner("u1")

    # When the learner enrols with the seed's STATUS segment left out
    answer = api.post(f"/enrolment/{PORTAL}/0/c1/enrolment", {}, token=token)

    # Then the enrolment is in progress (the seed's default), and it started now
    assert answer.status == 200, answer.body
    stored = learning.enrolment(answer.json()["id"])
    assert (stored["user_id"], stored["status"]) == ("u1", "in-progress")
    assert stored["start_date"] is not None


def test_leaving_out_the_status_segment_on_the_student_route_enrols_them_in_progress(
    api: Api, learning: Learning
) -> None:
    # Given a student known by email
    learning.course_tree()
    learning.given.user("s1", PORTAL, email=STUDENT)

    # When a portal admin enrols them with the STATUS segment left out
    answer = api.post(f"/enrolment/{PORTAL}/0/c1/enrolment/{STUDENT}", {}, token=admin_token())

    # Then the student is enrolled in progress, on their behalf
    assert answer.status == 200, answer.body
    stored = learning.enrolment(answer.json()["id"])
    assert (stored["user_id"], stored["status"]) == ("s1", "in-progress")


def test_a_segment_that_is_neither_a_status_nor_an_email_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post(f"/enrolment/{PORTAL}/0/c1/enrolment/started", {}, token=token)

    assert answer.status == 400, answer.body
    assert "statusOrEmail" in answer.json()["message"]


def test_an_enrolment_created_in_progress_without_a_start_date_starts_now(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    before = datetime.now(UTC) - timedelta(seconds=1)

    enrolment_id = learning.enrol(token, "c1", status="in-progress")

    start = datetime.fromisoformat(learning.enrolment(enrolment_id)["start_date"].replace("Z", "+00:00"))
    assert before <= start <= datetime.now(UTC) + timedelta(seconds=1)


def test_an_enrolment_moved_in_progress_without_a_start_date_starts_now_and_completes_with_both(
    api: Api, learning: Learning
) -> None:
    # Given a learner's not-started enrolment of a text item (a learner may move it)
    learning.course_tree()
    token = learning.learner("u1")
    enrolment_id = learning.enrol(token, "i1", status="not-started")
    assert learning.enrolment(enrolment_id)["start_date"] is None

    # When they move it in progress, then complete it
    moved = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "in-progress"}, token=token)
    assert moved.status == 204, moved.body
    started = learning.enrolment(enrolment_id)["start_date"]
    completed = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "completed"}, token=token)
    assert completed.status == 204, completed.body

    # Then it got a start date when it started, and keeps it when completed, beside its end
    stored = learning.enrolment(enrolment_id)
    assert started is not None
    assert (stored["start_date"], stored["status"]) == (started, "completed")
    assert stored["end_date"] is not None


def test_a_given_start_date_is_kept_when_moving_in_progress(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    enrolment_id = learning.enrol(token, "i1", status="not-started")

    body = {"status": "in-progress", "startDate": "2026-01-02T03:04:05Z"}
    assert api.put(f"/enrolment/enrolment/{enrolment_id}", body, token=token).status == 204

    assert learning.enrolment(enrolment_id)["start_date"] == "2026-01-02T03:04:05Z"


def test_a_student_may_not_use_the_on_behalf_routes_for_themselves(api: Api, learning: Learning) -> None:
    # Given a learner known by email, with no admin or manager role
    learning.course_tree()
    learning.given.user("s1", PORTAL, email=STUDENT)
    token = tokens.token("s1", roles={PORTAL: ["learner"]})

    # When they use the on-behalf routes naming themselves
    single = api.post(f"/enrolment/{PORTAL}/0/c1/enrolment/{STUDENT}/in-progress", {}, token=token)
    single_default = api.post(f"/enrolment/{PORTAL}/0/c1/enrolment/{STUDENT}", {}, token=token)
    many = api.post(
        f"/enrolment/{PORTAL}/enrolment/{STUDENT}",
        {"items": [{"loId": "c1", "parentLoId": 0, "status": "in-progress"}]},
        token=token,
    )

    # Then 403: those routes are for admins, the student's managers and staff (as the original answers)
    assert (single.status, single_default.status, many.status) == (403, 403, 403), (single.body, many.body)


def test_a_version_2_reassignment_points_the_kept_enrolment_at_the_new_plan(api: Api, learning: Learning) -> None:
    # Given a learner with a plan and a not-started enrolment of the course, linked to each other
    learning.course_tree()
    token = learning.learner("u1")
    due = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    first = api.post(f"/enrolment/plan/{PORTAL}/c1/user/self", {"status": 1, "due_date": due}, token=token)
    assert first.status == 200, first.body
    enrolment_id = learning.enrol(token, "c1", status="not-started")
    assert learning.enrolment(enrolment_id)["plan_id"] == int(first.json()["id"])

    # When the plan is re-assigned (version 2)
    again = api.post(
        f"/enrolment/plan/{PORTAL}/c1/user/self", {"status": 1, "version": 2, "due_date": due}, token=token
    )
    assert again.status == 200, again.body
    new_plan = again.json()["id"]

    # Then the new plan and the kept enrolment name each other; the old plan is archived
    plan = api.get(f"/enrolment/plan/{new_plan}", token=token).json()
    assert plan["enrolment_id"] == enrolment_id
    stored = learning.enrolment(enrolment_id)
    assert (stored["plan_id"], stored["archived"], stored["status"]) == (int(new_plan), False, "not-started")
    assert api.get(f"/enrolment/plan/{first.json()['id']}", token=token).json()["archived"] is True
