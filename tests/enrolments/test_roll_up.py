"""Completion roll-up: a parent enrolment completes when all its children do, up the chain."""

from __future__ import annotations

from planhub_local.stack import LocalStack
from tests.conftest import Api, Published
from tests.enrolments.conftest import Learning


def given_course_enrolments(learning: Learning) -> tuple[str, dict[str, int]]:
    """u1 enrolled in course c1, its module m1 and both of m1's items i1 and i2."""
    learning.course_tree(modules={"m1": ["i1", "i2"]})
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")
    module = learning.enrol(token, "m1", parent_lo="c1", parent_enrolment=course)
    items = {lo: learning.enrol(token, lo, parent_lo="m1", parent_enrolment=module) for lo in ("i1", "i2")}
    return token, {"c1": course, "m1": module, **items}


def complete(api: Api, token: str, enrolment_id: int, **extra: object) -> None:
    answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "completed", **extra}, token=token)
    assert answer.status == 204, answer.body


def test_with_recalculate_the_last_item_completes_module_and_course_within_the_request(
    api: Api, learning: Learning
) -> None:
    token, ids = given_course_enrolments(learning)
    complete(api, token, ids["i1"])

    complete(api, token, ids["i2"], reCalculate=1)

    # no event has been delivered yet: the request itself rolled the completion up
    assert learning.enrolment(ids["m1"])["status"] == "completed"
    assert learning.enrolment(ids["c1"])["status"] == "completed"


def test_without_recalculate_the_completion_rolls_up_through_events(
    stack: LocalStack, api: Api, learning: Learning
) -> None:
    token, ids = given_course_enrolments(learning)
    complete(api, token, ids["i1"])
    complete(api, token, ids["i2"])
    assert learning.enrolment(ids["m1"])["status"] == "in-progress"

    stack.drain()

    assert learning.enrolment(ids["m1"])["status"] == "completed"
    assert learning.enrolment(ids["c1"])["status"] == "completed"
    assert stack.failures == []


def test_a_parent_with_an_unfinished_child_stays_open(stack: LocalStack, api: Api, learning: Learning) -> None:
    token, ids = given_course_enrolments(learning)

    complete(api, token, ids["i1"], reCalculate=1)
    stack.drain()

    assert learning.enrolment(ids["m1"])["status"] == "in-progress"


def test_a_child_lo_never_enrolled_in_keeps_the_parent_open(stack: LocalStack, api: Api, learning: Learning) -> None:
    learning.course_tree(modules={"m1": ["i1", "i2"]})
    token = learning.learner("u1")
    module = learning.enrol(token, "m1")
    only_item = learning.enrol(token, "i1", parent_lo="m1", parent_enrolment=module)

    complete(api, token, only_item, reCalculate=1)
    stack.drain()

    assert learning.enrolment(module)["status"] == "in-progress"


def test_an_item_enrolled_as_completed_rolls_up_with_recalculate(api: Api, learning: Learning) -> None:
    learning.course_tree(modules={"m1": ["i1"]})
    token = learning.learner("u1")
    module = learning.enrol(token, "m1")

    learning.enrol(token, "i1", parent_lo="m1", parent_enrolment=module, status="completed", body={"reCalculate": 1})

    assert learning.enrolment(module)["status"] == "completed"


def test_the_parents_completion_is_in_its_history_with_an_end_date(api: Api, learning: Learning) -> None:
    token, ids = given_course_enrolments(learning)
    complete(api, token, ids["i1"])

    complete(api, token, ids["i2"], reCalculate=1)

    module = learning.enrolment(ids["m1"])
    assert module["end_date"] is not None
    newest = learning.history(ids["m1"])[0]
    assert (newest["from"], newest["to"], newest["changed_by"]) == ("in-progress", "completed", "u1")
    assert newest["note"] == "Every child enrolment is completed"


def test_a_redelivered_completion_event_completes_the_parent_once(
    stack: LocalStack, api: Api, learning: Learning
) -> None:
    token, ids = given_course_enrolments(learning)
    complete(api, token, ids["i1"])
    complete(api, token, ids["i2"])
    stack.drain()
    delivered = [d.event for d in stack.delivered if d.function == "RollUpEnrolmentCompletionFunction"]
    version = learning.enrolment(ids["m1"])["version"]

    for event in delivered:
        stack.invoke("RollUpEnrolmentCompletionFunction", event)

    assert learning.enrolment(ids["m1"])["version"] == version
    assert [h["to"] for h in learning.history(ids["m1"])].count("completed") == 1


def test_recalculate_alone_completes_a_parent_whose_children_are_done(api: Api, learning: Learning) -> None:
    # Given the module's only item completed without roll-up (no recalculation, no events delivered)
    learning.course_tree(modules={"m1": ["i1"]})
    token = learning.learner("u1")
    module = learning.enrol(token, "m1")
    item = learning.enrol(token, "i1", parent_lo="m1", parent_enrolment=module)
    complete(api, token, item)

    answer = api.put(f"/enrolment/enrolment/{item}", {"reCalculate": 1}, token=token)

    assert answer.status == 204
    assert learning.enrolment(module)["status"] == "completed"


def test_a_completion_publishes_enrolment_completed_for_each_level(
    api: Api, learning: Learning, published: Published
) -> None:
    token, ids = given_course_enrolments(learning)
    complete(api, token, ids["i1"])
    complete(api, token, ids["i2"])

    completed = {e["data"]["id"] for e in published.events("enrolment completed")}

    assert completed == {ids["i1"], ids["i2"], ids["m1"], ids["c1"]}
