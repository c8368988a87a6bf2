"""Enrolling a student by email: portal admins, the student's managers and staff only."""

from __future__ import annotations

from planhub_local import tokens
from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, Learning, admin_token

STUDENT_PATH = f"/enrolment/{PORTAL}/0/c1/enrolment/student@example.com/not-started"


def test_a_portal_admin_enrols_a_student_by_email(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")

    answer = api.post(STUDENT_PATH, {}, token=admin_token())

    assert answer.status == 200
    stored = learning.enrolment(answer.json()["id"])
    assert (stored["user_id"], stored["lo_id"], stored["status"]) == ("s1", "c1", "not-started")


def test_a_manager_of_the_student_enrols_them(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com", managers=["boss"])

    answer = api.post(STUDENT_PATH, {}, token=tokens.token("boss", roles={PORTAL: ["manager"]}))

    assert answer.status == 200
    assert learning.enrolment(answer.json()["id"])["user_id"] == "s1"


def test_staff_enrol_any_student(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")

    answer = api.post(STUDENT_PATH, {}, token=learning.given.staff)

    assert answer.status == 200


def test_someone_who_does_not_manage_the_student_may_not_enrol_them(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com", managers=["boss"])
    colleague = tokens.token("other-manager", roles={PORTAL: ["manager"]})

    answer = api.post(STUDENT_PATH, {}, token=colleague)

    assert answer.status == 403


def test_an_admin_of_another_portal_may_not_enrol_the_student(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")

    answer = api.post(STUDENT_PATH, {}, token=tokens.token("admin-2", roles={"p-other": ["admin"]}))

    assert answer.status == 403


def test_an_unknown_student_email_is_404(api: Api, learning: Learning) -> None:
    learning.course_tree()

    answer = api.post(STUDENT_PATH, {}, token=admin_token())

    assert answer.status == 404


def test_the_students_email_may_be_url_encoded(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")

    answer = api.post(f"/enrolment/{PORTAL}/0/c1/enrolment/student%40example.com/in-progress", {}, token=admin_token())

    assert answer.status == 200


def test_an_admin_enrols_a_student_in_many_los_at_once(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")
    body = {"items": [{"loId": "c1"}, {"loId": "i1", "status": "not-started"}]}

    answer = api.post(f"/enrolment/{PORTAL}/enrolment/student@example.com", body, token=admin_token())

    assert answer.status == 200
    outcomes = answer.json()
    assert set(outcomes) == {"c1", "i1"}
    for lo_id, outcome in outcomes.items():
        stored = learning.enrolment(outcome["200"]["id"])
        assert (stored["user_id"], stored["lo_id"]) == ("s1", lo_id)


def test_enrolling_a_student_in_many_los_needs_the_same_permission(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")
    body = {"items": [{"loId": "c1"}]}

    answer = api.post(f"/enrolment/{PORTAL}/enrolment/student@example.com", body, token=learning.learner("u1"))

    assert answer.status == 403


def test_a_student_is_enrolled_by_email_in_a_portal_named_by_its_name(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")

    answer = api.post(
        "/enrolment/acme.example.com/0/c1/enrolment/student@example.com/in-progress", {}, token=admin_token()
    )

    assert answer.status == 200
    stored = learning.enrolment(answer.json()["id"])
    assert (stored["portal_id"], stored["user_id"]) == (PORTAL, "s1")


def test_a_student_is_enrolled_in_many_los_in_a_portal_named_by_its_name(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")
    body = {"items": [{"loId": "c1"}, {"loId": "i1"}]}

    answer = api.post("/enrolment/acme.example.com/enrolment/student@example.com", body, token=admin_token())

    assert answer.status == 200
    for outcome in answer.json().values():
        stored = learning.enrolment(outcome["200"]["id"])
        assert (stored["portal_id"], stored["user_id"]) == (PORTAL, "s1")


def test_an_unknown_student_is_404_naming_the_portals_id_when_it_is_named_by_its_name(
    api: Api, learning: Learning
) -> None:
    learning.course_tree()

    answer = api.post(
        "/enrolment/acme.example.com/0/c1/enrolment/nobody@example.com/in-progress", {}, token=admin_token()
    )

    assert answer.status == 404
    assert answer.json() == {"message": f"User nobody@example.com not found in portal {PORTAL}"}
