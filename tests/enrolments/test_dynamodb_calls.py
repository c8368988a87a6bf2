"""What each enrolment route's success path costs in DynamoDB calls: the minimum its access
pattern needs (benchmarks/enrolment_calls.py prints the same figures with the reasons)."""

from __future__ import annotations

from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, DynamoDBCalls, Learning, admin_token, enrolment_path

READ_AND_WRITE = ["BatchGetItem", "TransactWriteItems"]


def test_enrolling_makes_one_batch_read_and_one_transaction(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    with dynamodb_calls.counting() as calls:
        answer = api.post(enrolment_path("c1"), {}, token=token)

    assert answer.status == 200
    assert calls == READ_AND_WRITE


def test_enrolling_under_a_parent_enrolment_makes_one_batch_read_and_one_transaction(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")

    with dynamodb_calls.counting() as calls:
        answer = api.post(enrolment_path("m1", parent_lo="c1", parent_enrolment=course), {}, token=token)

    assert answer.status == 200
    assert calls == READ_AND_WRITE


def test_an_active_enrolment_is_answered_from_the_batch_read_alone(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    learning.enrol(token, "c1")

    with dynamodb_calls.counting() as calls:
        answer = api.post(enrolment_path("c1"), {}, token=token)

    assert answer.status == 200
    assert calls == ["BatchGetItem"]


def test_a_portal_named_by_its_name_costs_one_more_batch_read(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    with dynamodb_calls.counting() as calls:
        answer = api.post("/enrolment/acme.example.com/0/c1/enrolment/in-progress", {}, token=token)

    assert answer.status == 200
    assert calls == ["BatchGetItem", "BatchGetItem", "TransactWriteItems"]


def test_enrolling_a_student_by_email_queries_the_email_index_first(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")

    with dynamodb_calls.counting() as calls:
        answer = api.post(
            f"/enrolment/{PORTAL}/0/c1/enrolment/student@example.com/in-progress", {}, token=admin_token()
        )

    assert answer.status == 200
    assert calls == ["Query", *READ_AND_WRITE]
