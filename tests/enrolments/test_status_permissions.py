"""The update seed's "Status permission" table, every row and every forbidden cell, through PUT.

The expectations below are written from the seed's table, independently of the layer's copy:

| Who      | From                              | To                                                   | On        | Ok
|----------|-----------------------------------|------------------------------------------------------|-----------|---
| everyone | completed                         | any status                                           | LO/LI     |
| learner  | in-progress, not-started, pending | in-progress, not-started, pending, completed         | Simple LI | x
| learner  | in-progress, not-started, pending | in-progress, not-started, pending, completed         | LO/LI     |
| manager  | in-progress, not-started, pending | in-progress, not-started, pending, completed         | LO/LI     | x
| admin    | in-progress, not-started, pending | in-progress, not-started, pending, completed         | LO/LI     | x
| assessor | in-progress, not-started, pending | in-progress, not-started, pending, completed         | LO/LI     | x
| staff    | in-progress, not-started, pending | in-progress, not-started, pending, expire, completed | LO/LI     | x

A change no row allows (from `expired`, or to `expired` by anyone but staff) is forbidden too.
"""

from __future__ import annotations

import pytest

from planhub_local import tokens
from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, Learning, admin_token, before_the_next_transaction

OPEN = ["in-progress", "not-started", "pending"]
EVERY_STATUS = ["not-started", "in-progress", "pending", "completed", "expired"]
OPEN_MOVES = [(f, t) for f in OPEN for t in [*OPEN, "completed"] if f != t]
STAFF_MOVES = [(f, t) for f in OPEN for t in [*OPEN, "expired", "completed"] if f != t]
EVERY_CHANGE = [(f, t) for f in EVERY_STATUS for t in EVERY_STATUS if f != t]

MANAGER, ASSESSOR, ADMIN, STRANGER = "boss", "assessor-1", "admin-1", "stranger"


def caller_token(who: str, learner: str) -> str:
    return {
        "learner": tokens.token(learner, roles={PORTAL: ["learner"]}),
        "manager": tokens.token(MANAGER, roles={PORTAL: ["manager"]}),
        "admin": admin_token(ADMIN),
        "assessor": tokens.token(ASSESSOR, roles={PORTAL: ["assessor"]}),
        "staff": tokens.staff(),
        "stranger": tokens.token(STRANGER, roles={PORTAL: ["learner"]}),
    }[who]


def given_lo(learning: Learning, lo_type: str) -> None:
    learning.given.learning_object("lo", lo_type, PORTAL, assessors=[ASSESSOR])


def enrolment_in(api: Api, learning: Learning, learner: str, status: str) -> int:
    """The learner's (new) enrolment in `lo`, in `status`: `expired` is reached through staff."""
    own = tokens.token(learner, roles={PORTAL: ["learner"]})
    start = "in-progress" if status == "expired" else status
    enrolment_id = learning.enrol(own, "lo", status=start, body={"reEnrol": 1})
    if status == "expired":
        answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "expired"}, token=tokens.staff())
        assert answer.status == 204, answer.body
    return enrolment_id


@pytest.mark.parametrize(
    ("row", "who", "lo_type", "moves"),
    [
        ("learner | Simple LI | x", "learner", "text", OPEN_MOVES),
        ("manager | LO/LI | x", "manager", "quiz", OPEN_MOVES),
        ("admin | LO/LI | x", "admin", "course", OPEN_MOVES),
        ("assessor | LO/LI | x", "assessor", "module", OPEN_MOVES),
        ("staff | LO/LI | x", "staff", "scorm", STAFF_MOVES),
    ],
    ids=lambda value: value if isinstance(value, str) and "|" in value else None,
)
def test_a_row_of_the_status_table_allows_each_of_its_changes(
    *, api: Api, learning: Learning, row: str, who: str, lo_type: str, moves: list[tuple[str, str]]
) -> None:
    given_lo(learning, lo_type)
    learning.learner("u1", managers=[MANAGER])
    token = caller_token(who, "u1")
    wrong: list[str] = []

    for from_, to in moves:
        enrolment_id = enrolment_in(api, learning, "u1", from_)
        answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": to}, token=token)

        stored = learning.enrolment(enrolment_id)["status"]
        if answer.status != 204 or stored != to:
            wrong.append(f"{from_} -> {to}: {answer.status} {answer.body}, stored {stored}")

    assert wrong == [], f"row {row}"


@pytest.mark.parametrize(
    ("who", "lo_type", "allowed"),
    [
        ("learner", "document", OPEN_MOVES),  # Simple LI: only the `everyone` row and unlisted cells forbid
        ("learner", "quiz", []),  # complex LI: `learner | LO/LI` forbids every change
        ("learner", "course", []),
        ("learner", "module", []),
        ("manager", "learning_pathway", OPEN_MOVES),
        ("admin", "scorm", OPEN_MOVES),
        ("assessor", "course", OPEN_MOVES),
        ("staff", "text", STAFF_MOVES),
        ("stranger", "text", []),  # in no row at all
    ],
)
def test_every_forbidden_cell_of_the_status_table_is_403_and_changes_nothing(
    api: Api, learning: Learning, who: str, lo_type: str, allowed: list[tuple[str, str]]
) -> None:
    given_lo(learning, lo_type)
    wrong: list[str] = []

    for from_ in EVERY_STATUS:
        # one learner per starting status: a refused change leaves the enrolment as it was
        learner = f"u-{from_}"
        learning.given.user(learner, PORTAL, managers=[MANAGER])
        enrolment_id = enrolment_in(api, learning, learner, from_)
        token = caller_token(who, learner)
        for to in [t for f, t in EVERY_CHANGE if f == from_ and (f, t) not in allowed]:
            answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": to}, token=token)
            if answer.status != 403:
                wrong.append(f"{from_} -> {to}: {answer.status} {answer.body}")
        stored = learning.enrolment(enrolment_id)
        if (stored["status"], stored["version"]) != (from_, 2 if from_ == "expired" else 1):
            wrong.append(f"{from_}: now {stored['status']} at version {stored['version']}")

    assert wrong == []


def test_the_seeds_expire_is_accepted_for_expired(api: Api, learning: Learning) -> None:
    given_lo(learning, "course")
    learning.learner("u1")
    enrolment_id = enrolment_in(api, learning, "u1", "in-progress")

    answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "expire"}, token=tokens.staff())

    assert answer.status == 204
    assert learning.enrolment(enrolment_id)["status"] == "expired"


def test_a_learner_who_is_also_a_portal_admin_may_change_their_own_quiz(api: Api, learning: Learning) -> None:
    given_lo(learning, "quiz")
    learning.given.user("u1", PORTAL)
    enrolment_id = enrolment_in(api, learning, "u1", "in-progress")
    learner_and_admin = tokens.token("u1", roles={PORTAL: ["learner", "admin"]})

    answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "completed"}, token=learner_and_admin)

    assert answer.status == 204


def test_a_refusal_names_the_change_it_refused(api: Api, learning: Learning) -> None:
    given_lo(learning, "quiz")
    token = learning.learner("u1")
    enrolment_id = learning.enrol(token, "lo", status="in-progress")

    answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "completed"}, token=token)

    assert answer.json() == {
        "message": "You may not change the status of this quiz enrolment from in-progress to completed"
    }


def test_a_status_change_is_kept_in_the_history_with_who_and_note(api: Api, learning: Learning) -> None:
    given_lo(learning, "text")
    token = learning.learner("u1")
    enrolment_id = learning.enrol(token, "lo", status="not-started")

    api.put(
        f"/enrolment/enrolment/{enrolment_id}", {"status": "completed", "note": "manual mark complete"}, token=token
    )

    newest, creation = learning.history(enrolment_id)
    assert (newest["from"], newest["to"], newest["changed_by"]) == ("not-started", "completed", "u1")
    assert newest["note"] == "manual mark complete"
    assert (creation["from"], creation["to"]) == (None, "not-started")


def test_a_learner_who_assesses_the_lo_may_change_their_own_quiz(api: Api, learning: Learning) -> None:
    given_lo(learning, "quiz")
    learning.given.user(ASSESSOR, PORTAL)
    enrolment_id = enrolment_in(api, learning, ASSESSOR, "in-progress")
    own = tokens.token(ASSESSOR, roles={PORTAL: ["learner"]})

    answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "completed"}, token=own)

    assert answer.status == 204
    assert learning.enrolment(enrolment_id)["status"] == "completed"


def test_a_learner_who_assesses_the_lo_may_set_the_supervisors_fields_on_their_own_enrolment(
    api: Api, learning: Learning
) -> None:
    given_lo(learning, "course")
    learning.given.user(ASSESSOR, PORTAL)
    enrolment_id = enrolment_in(api, learning, ASSESSOR, "in-progress")
    own = tokens.token(ASSESSOR, roles={PORTAL: ["learner"]})

    answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"result": 80, "pass": 1}, token=own)

    assert answer.status == 204
    assert (learning.enrolment(enrolment_id)["result"], learning.enrolment(enrolment_id)["pass"]) == (80, 1)


def test_a_learners_status_change_is_judged_on_the_lo_as_it_is_when_written(
    api: Api, learning: Learning, monkeypatch: pytest.MonkeyPatch
) -> None:
    given_lo(learning, "text")
    token = learning.learner("u1")
    enrolment_id = learning.enrol(token, "lo")
    before_the_next_transaction(monkeypatch, lambda: given_lo(learning, "quiz"))  # staff retype the LO meanwhile

    answer = api.put(f"/enrolment/enrolment/{enrolment_id}", {"status": "completed"}, token=token)

    assert answer.status == 403
    assert answer.json() == {
        "message": "You may not change the status of this quiz enrolment from in-progress to completed"
    }
    assert learning.enrolment(enrolment_id)["status"] == "in-progress"
