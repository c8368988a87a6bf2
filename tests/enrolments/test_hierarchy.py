"""Course -> module -> learning item: a child enrolment names its parent LO and parent enrolment."""

from __future__ import annotations

import pytest

from planhub.storage import Table
from planhub.storage import keys as table_keys
from planhub_local.stack import LocalStack
from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, Learning, before_the_next_transaction, enrolment_path


def test_a_module_is_enrolled_under_the_users_course_enrolment(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")

    answer = api.post(enrolment_path("m1", parent_lo="c1", parent_enrolment=course), {}, token=token)

    assert answer.status == 200
    module = learning.enrolment(answer.json()["id"])
    assert (module["parent_lo_id"], module["parent_enrolment_id"]) == ("c1", course)


def test_a_child_without_its_parent_enrolment_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    learning.enrol(token, "c1")

    answer = api.post(enrolment_path("m1", parent_lo="c1"), {}, token=token)

    assert answer.status == 400
    assert "parentEnrolmentId" in answer.json()["message"]


def test_an_lo_that_is_not_a_child_of_the_parent_lo_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree(modules={"m1": ["i1"], "m2": ["i2"]})
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")
    module = learning.enrol(token, "m1", parent_lo="c1", parent_enrolment=course)

    answer = api.post(enrolment_path("i2", parent_lo="m1", parent_enrolment=module), {}, token=token)

    assert answer.status == 400
    assert answer.json() == {"message": "Learning object i2 is not a child of learning object m1"}


def test_an_unknown_parent_lo_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")

    answer = api.post(enrolment_path("m1", parent_lo="nothing", parent_enrolment=course), {}, token=token)

    assert answer.status == 400


def test_an_unknown_parent_enrolment_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post(enrolment_path("m1", parent_lo="c1", parent_enrolment=123456), {}, token=token)

    assert answer.status == 400
    assert answer.json() == {"message": "parentEnrolmentId: enrolment 123456 does not exist"}


def test_another_users_parent_enrolment_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    theirs = learning.enrol(learning.learner("u2"), "c1")
    token = learning.learner("u1")

    answer = api.post(enrolment_path("m1", parent_lo="c1", parent_enrolment=theirs), {}, token=token)

    assert answer.status == 400
    assert "is not this user's" in answer.json()["message"]


def test_a_parent_enrolment_in_another_lo_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    learning.given.learning_object("c2", "course", PORTAL, children=["m1"])
    token = learning.learner("u1")
    learning.enrol(token, "c1")
    other_course = learning.enrol(token, "c2")

    answer = api.post(enrolment_path("m1", parent_lo="c1", parent_enrolment=other_course), {}, token=token)

    assert answer.status == 400
    assert "is not in learning object c1" in answer.json()["message"]


def test_an_archived_parent_enrolment_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    archived = learning.enrol(token, "c1")
    learning.enrol(token, "c1", body={"reEnrol": 1})

    answer = api.post(enrolment_path("m1", parent_lo="c1", parent_enrolment=archived), {}, token=token)

    assert answer.status == 400
    assert "archived" in answer.json()["message"]


def test_a_parent_enrolment_without_a_parent_lo_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")

    answer = api.post(enrolment_path("m1", parent_lo="0", parent_enrolment=course), {}, token=token)

    assert answer.status == 400


def test_a_parent_enrolment_id_that_is_not_a_number_is_400_naming_it(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post("/enrolment/p-acme/c1/m1/enrolment/in-progress?parentEnrolmentId=abc", {}, token=token)

    assert answer.status == 400
    assert "parentEnrolmentId" in answer.json()["message"]


def test_parent_lo_0_enrols_a_learning_item_on_its_own(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post(enrolment_path("i1", parent_lo="0"), {}, token=token)

    assert answer.status == 200
    assert learning.enrolment(answer.json()["id"])["parent_enrolment_id"] is None


def test_a_parent_enrolment_archived_while_its_child_is_created_refuses_the_child(
    api: Api, learning: Learning, stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")
    before_the_next_transaction(monkeypatch, lambda: learning.enrol(token, "c1", body={"reEnrol": 1}))

    answer = api.post(enrolment_path("m1", parent_lo="c1", parent_enrolment=course), {}, token=token)

    assert answer.status == 400
    assert answer.json() == {"message": f"parentEnrolmentId: enrolment {course} is archived"}
    table = Table(stack.table_name)
    assert table.get(table_keys.active_enrolment(PORTAL, "u1", "m1")) is None
    assert table.get(table_keys.enrolment_child(course, "m1")) is None


def test_a_parent_enrolment_changed_but_open_while_its_child_is_created_keeps_the_child(
    api: Api, learning: Learning, monkeypatch: pytest.MonkeyPatch
) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")

    def note_on_the_course() -> None:
        assert api.put(f"/enrolment/enrolment/{course}", {"note": "meanwhile"}, token=token).status == 204

    before_the_next_transaction(monkeypatch, note_on_the_course)

    answer = api.post(enrolment_path("m1", parent_lo="c1", parent_enrolment=course), {}, token=token)

    assert answer.status == 200
    assert learning.enrolment(answer.json()["id"])["parent_enrolment_id"] == course
