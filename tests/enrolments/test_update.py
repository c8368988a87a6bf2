"""Updating an enrolment: the seed's fields, who may set which, and concurrent updates."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from planhub_local import tokens
from tests.conftest import Api, Published
from tests.enrolments.conftest import PORTAL, Learning


def path(enrolment_id: int) -> str:
    return f"/enrolment/enrolment/{enrolment_id}"


def given_text_enrolment(learning: Learning, *, status: str = "in-progress") -> tuple[int, str]:
    learning.given.learning_object("t1", "text", PORTAL)
    token = learning.learner("u1", managers=["boss"])
    return learning.enrol(token, "t1", status=status), token


MANAGER = tokens.token("boss", roles={PORTAL: ["manager"]})


def test_a_learner_sets_start_date_duration_and_note_on_their_own_enrolment(api: Api, learning: Learning) -> None:
    enrolment_id, token = given_text_enrolment(learning)

    answer = api.put(
        path(enrolment_id), {"startDate": "2016-10-17T13:04:33+0700", "duration": 123, "note": "halfway"}, token=token
    )

    assert answer.status == 204
    assert answer.body == ""
    stored = learning.enrolment(enrolment_id)
    assert (stored["start_date"], stored["duration"], stored["note"]) == ("2016-10-17T06:04:33Z", 123, "halfway")


def test_a_learner_may_not_set_the_supervisors_fields(api: Api, learning: Learning) -> None:
    enrolment_id, token = given_text_enrolment(learning)

    for field, value in [
        ("dueDate", "2030-01-01T00:00:00Z"),
        ("expectedCompletionDate", "2030-01-01T00:00:00Z"),
        ("result", 45),
        ("pass", 1),
        ("endDate", "2030-01-01T00:00:00Z"),
        ("data", {"custom_certificate": "https://example.com/c"}),
    ]:
        answer = api.put(path(enrolment_id), {field: value}, token=token)

        assert answer.status == 403, field
        assert field in answer.json()["message"]
    assert learning.enrolment(enrolment_id)["version"] == 1


def test_a_manager_sets_every_field_of_the_seed(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)
    body = {
        "startDate": "2016-10-17T13:04:33+0700",
        "endDate": "2016-10-18T13:04:33+0700",
        "dueDate": "2017-08-03T09:30:38+0000",
        "status": "completed",
        "result": 45,
        "pass": 0,
        "duration": 123,
        "note": "manual mark complete",
        "data": {"custom_certificate": "https://www.webmerge.me/merge/165010/5i5cae?&test=1"},
    }

    answer = api.put(path(enrolment_id), body, token=MANAGER)

    assert answer.status == 204
    stored = learning.enrolment(enrolment_id)
    assert {k: stored[k] for k in ("start_date", "end_date", "due_date", "status", "result", "pass")} == {
        "start_date": "2016-10-17T06:04:33Z",
        "end_date": "2016-10-18T06:04:33Z",
        "due_date": "2017-08-03T09:30:38Z",
        "status": "completed",
        "result": 45,
        "pass": 0,
    }
    assert (stored["duration"], stored["note"]) == (123, "manual mark complete")
    assert stored["data"] == body["data"]


def test_the_deprecated_expected_completion_date_sets_the_due_date(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)

    api.put(path(enrolment_id), {"expectedCompletionDate": "2016-10-18T13:04:33+0700"}, token=MANAGER)

    assert learning.enrolment(enrolment_id)["due_date"] == "2016-10-18T06:04:33Z"


def test_a_due_date_wins_over_a_different_expected_completion_date(api: Api, learning: Learning) -> None:
    # Given an enrolment; the update seed's own example sends both fields, with different values
    enrolment_id, _ = given_text_enrolment(learning)
    body = {"dueDate": "2017-01-01T00:00:00Z", "expectedCompletionDate": "2018-01-01T00:00:00Z"}

    answer = api.put(path(enrolment_id), body, token=MANAGER)

    # Then the update is taken, and dueDate wins (docs/product.md "Enrolments")
    assert answer.status == 204, answer.body
    assert learning.enrolment(enrolment_id)["due_date"] == "2017-01-01T00:00:00Z"


def test_a_field_of_the_wrong_type_is_400_naming_it(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)
    bad: list[tuple[str, Any]] = [
        ("startDate", 1476687873),
        ("endDate", "yesterday"),
        ("dueDate", True),
        ("status", "done"),
        ("status", None),
        ("result", "45"),
        ("result", True),
        ("pass", 2),
        ("pass", True),
        ("duration", 1.5),
        ("duration", "123"),
        ("note", 5),
        ("data", "certificate"),
        ("data", {"custom_certificate": 3}),
        ("reCalculate", 7),
    ]

    for field, value in bad:
        answer = api.put(path(enrolment_id), {field: value}, token=MANAGER)

        assert answer.status == 400, (field, value)
        assert field in answer.json()["message"], (field, value)
    assert learning.enrolment(enrolment_id)["version"] == 1


def test_an_unknown_field_is_400_naming_it(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)

    answer = api.put(path(enrolment_id), {"stauts": "completed"}, token=MANAGER)

    assert answer.status == 400
    assert "body.stauts" in answer.json()["message"]


def test_an_update_without_any_field_is_400(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)

    answer = api.put(path(enrolment_id), {}, token=MANAGER)

    assert answer.status == 400


def test_completing_sets_the_end_date_when_absent(api: Api, learning: Learning) -> None:
    enrolment_id, token = given_text_enrolment(learning)

    api.put(path(enrolment_id), {"status": "completed"}, token=token)

    assert learning.enrolment(enrolment_id)["end_date"] is not None


def test_completing_keeps_the_end_date_given_with_it(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)

    api.put(path(enrolment_id), {"status": "completed", "endDate": "2020-05-05T10:00:00Z"}, token=MANAGER)

    assert learning.enrolment(enrolment_id)["end_date"] == "2020-05-05T10:00:00Z"


def test_a_field_sent_as_null_is_cleared(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)
    api.put(path(enrolment_id), {"dueDate": "2030-01-01T00:00:00Z", "note": "keep"}, token=MANAGER)

    answer = api.put(path(enrolment_id), {"dueDate": None}, token=MANAGER)

    assert answer.status == 204
    stored = learning.enrolment(enrolment_id)
    assert (stored["due_date"], stored["note"]) == (None, "keep")


def test_an_update_publishes_enrolment_updated_with_its_changes(
    learning: Learning, api: Api, published: Published
) -> None:
    enrolment_id, token = given_text_enrolment(learning)

    api.put(path(enrolment_id), {"status": "pending", "note": "waiting"}, token=token)

    [updated] = published.events("enrolment updated")
    assert updated["data"]["id"] == enrolment_id
    assert updated["data"]["changes"] == {"status": "pending", "note": "waiting"}
    assert (updated["data"]["from_status"], updated["data"]["to_status"]) == ("in-progress", "pending")


def test_an_unknown_enrolment_is_404(api: Api, learning: Learning) -> None:
    answer = api.put(path(404404), {"note": "x"}, token=learning.given.staff)

    assert answer.status == 404


def test_someone_unrelated_to_the_enrolment_may_not_even_set_a_note(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)

    answer = api.put(path(enrolment_id), {"note": "hello"}, token=learning.learner("u2"))

    assert answer.status == 403


def test_an_update_without_a_token_is_403(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)

    answer = api.put(path(enrolment_id), {"note": "hello"})

    assert answer.status == 403


# --- concurrency ------------------------------------------------------------------------------


def test_concurrent_status_changes_are_never_silently_lost(api: Api, learning: Learning) -> None:
    # Given one enrolment that six supervisors move at the same time
    enrolment_id, _ = given_text_enrolment(learning)
    targets = ["pending", "not-started", "pending", "in-progress", "not-started", "pending"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda s: api.put(path(enrolment_id), {"status": s}, token=MANAGER), targets))

    # Then each answer is a success or a 409, every success is counted once, and the history is one chain
    assert {a.status for a in answers} <= {204, 409}
    stored = learning.enrolment(enrolment_id)
    assert stored["version"] == 1 + sum(a.status == 204 for a in answers)
    changes = list(reversed(learning.history(enrolment_id)))
    assert all(earlier["to"] == later["from"] for earlier, later in itertools.pairwise(changes))
    assert changes[-1]["to"] == stored["status"]


def test_concurrent_updates_of_different_fields_are_all_kept(api: Api, learning: Learning) -> None:
    enrolment_id, _ = given_text_enrolment(learning)
    bodies = [
        {"note": "a note"},
        {"duration": 42},
        {"result": 77.5},
        {"pass": 1},
        {"dueDate": "2031-01-01T00:00:00Z"},
        {"startDate": "2029-01-01T00:00:00Z"},
    ]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda body: api.put(path(enrolment_id), body, token=MANAGER), bodies))

    assert [a.status for a in answers] == [204] * 6, [a.body for a in answers if a.status != 204]
    stored = learning.enrolment(enrolment_id)
    assert (stored["note"], stored["duration"], stored["result"], stored["pass"]) == ("a note", 42, 77.5, 1)
    assert (stored["due_date"], stored["start_date"]) == ("2031-01-01T00:00:00Z", "2029-01-01T00:00:00Z")
    assert stored["version"] == 7
