"""What each enrolment route's success path costs in DynamoDB calls: the minimum its access
pattern needs (benchmarks/enrolment_calls.py prints the same figures with the reasons)."""

from __future__ import annotations

from planhub_local import tokens
from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, DynamoDBCalls, Learning, admin_token, enrolment_path

READ_AND_WRITE = ["BatchGetItem", "TransactWriteItems"]
MANY = f"/enrolment/{PORTAL}/enrolment"


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


def test_many_los_are_read_in_one_batch_and_written_in_one_transaction(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    learning.course_tree()
    learning.given.learning_object("c2", "course", PORTAL)
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")
    module = learning.enrol(token, "m1", parent_lo="c1", parent_enrolment=course)
    siblings = [{"loId": item, "parentLoId": "m1", "parentEnrolmentId": module} for item in ("i1", "i2")]

    with dynamodb_calls.counting() as calls:
        answer = api.post(MANY, {"items": [*siblings, {"loId": "c2"}]}, token=token)

    assert [list(outcome) for outcome in answer.json().values()] == [["200"]] * 3
    assert calls == READ_AND_WRITE


def test_many_los_for_a_student_query_the_email_index_then_read_and_write_once(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    learning.course_tree()
    learning.given.user("s1", PORTAL, email="student@example.com")
    body = {"items": [{"loId": "c1"}, {"loId": "i1"}]}

    with dynamodb_calls.counting() as calls:
        answer = api.post(f"/enrolment/{PORTAL}/enrolment/student@example.com", body, token=admin_token())

    assert [list(outcome) for outcome in answer.json().values()] == [["200"]] * 2
    assert calls == ["Query", *READ_AND_WRITE]


def test_many_los_take_a_batch_read_per_100_keys_and_a_transaction_per_100_writes(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    # 30 LOs: 3 keys each and 3 of the request (93 keys), 4 writes each (120 writes)
    for n in range(30):
        learning.given.learning_object(f"t{n}", "text", PORTAL)
    token = learning.learner("u1")

    with dynamodb_calls.counting() as calls:
        answer = api.post(MANY, {"items": [{"loId": f"t{n}"} for n in range(30)]}, token=token)

    assert [list(outcome) for outcome in answer.json().values()] == [["200"]] * 30
    assert calls == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]


def _text_enrolment_of_a_managed_learner(learning: Learning) -> tuple[int, str]:
    learning.course_tree()
    token = learning.learner("u1", managers=["boss"])
    return learning.enrol(token, "i1"), token


def test_the_learner_changing_a_status_reads_the_enrolment_and_checks_the_lo_in_the_transaction(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    enrolment_id, token = _text_enrolment_of_a_managed_learner(learning)

    with dynamodb_calls.counting() as calls:
        answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "completed"}, token=token)

    assert answer.status == 204
    assert calls == ["GetItem", "TransactWriteItems"]


def test_the_learner_setting_a_note_reads_only_the_enrolment(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    enrolment_id, token = _text_enrolment_of_a_managed_learner(learning)

    with dynamodb_calls.counting() as calls:
        answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"note": "half way"}, token=token)

    assert answer.status == 204
    assert calls == ["GetItem", "TransactWriteItems"]


def test_a_portal_admin_changing_a_status_reads_only_the_enrolment(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    enrolment_id, _ = _text_enrolment_of_a_managed_learner(learning)

    with dynamodb_calls.counting() as calls:
        answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "pending"}, token=admin_token())

    assert answer.status == 204
    assert calls == ["GetItem", "TransactWriteItems"]


def test_a_manager_updating_reads_the_enrolment_then_the_lo_and_learner_together(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    enrolment_id, _ = _text_enrolment_of_a_managed_learner(learning)
    manager = tokens.token("boss", roles={PORTAL: ["manager"]})

    with dynamodb_calls.counting() as calls:
        answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"dueDate": "2030-01-31T00:00:00Z"}, token=manager)

    assert answer.status == 204
    assert calls == ["GetItem", "BatchGetItem", "TransactWriteItems"]


def test_getting_an_enrolment_as_its_learner_is_one_read(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    enrolment_id, token = _text_enrolment_of_a_managed_learner(learning)

    with dynamodb_calls.counting() as calls:
        answer = api.get(f"/enrolment/enrolment/{enrolment_id}", token=token)

    assert answer.status == 200
    assert calls == ["GetItem"]


def test_getting_an_enrolment_as_the_learners_manager_reads_the_lo_and_learner_too(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    enrolment_id, _ = _text_enrolment_of_a_managed_learner(learning)
    manager = tokens.token("boss", roles={PORTAL: ["manager"]})

    with dynamodb_calls.counting() as calls:
        answer = api.get(f"/enrolment/enrolment/{enrolment_id}", token=manager)

    assert answer.status == 200
    assert calls == ["GetItem", "BatchGetItem"]


def test_the_history_as_its_learner_is_the_enrolment_and_one_page(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    enrolment_id, token = _text_enrolment_of_a_managed_learner(learning)

    with dynamodb_calls.counting() as calls:
        answer = api.get(f"/enrolment/enrolment/{enrolment_id}/history", token=token)

    assert answer.status == 200
    assert calls == ["GetItem", "Query"]


def test_the_history_as_the_learners_manager_reads_the_lo_and_learner_too(
    api: Api, learning: Learning, dynamodb_calls: DynamoDBCalls
) -> None:
    enrolment_id, _ = _text_enrolment_of_a_managed_learner(learning)
    manager = tokens.token("boss", roles={PORTAL: ["manager"]})

    with dynamodb_calls.counting() as calls:
        answer = api.get(f"/enrolment/enrolment/{enrolment_id}/history", token=manager)

    assert answer.status == 200
    assert calls == ["GetItem", "BatchGetItem", "Query"]
