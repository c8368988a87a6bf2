"""Two containers may draw the same plan id in the same second (planhub/ids.py): the second
create is refused by its id's existence condition and made again with a new id, never answered
with an error nor written over the first."""

from __future__ import annotations

import pytest

from tests.plans.conftest import Plans
from tests.test_fresh_ids import repeat_next_id_once


def test_a_users_plan_under_a_taken_id_gets_a_new_one(plans: Plans, monkeypatch: pytest.MonkeyPatch) -> None:
    repeat_next_id_once(monkeypatch)

    first = plans.assigned("u1", {"status": 1, "notify": False})
    second = plans.assigned("u2", {"status": 1, "notify": False})

    assert first != second
    assert (plans.plan(first)["user_id"], plans.plan(second)["user_id"]) == ("u1", "u2")


def test_a_group_plan_under_a_taken_id_gets_a_new_one(plans: Plans, monkeypatch: pytest.MonkeyPatch) -> None:
    plans.given.group("g1", ["u1"])
    plans.given.group("g2", ["u2"])
    repeat_next_id_once(monkeypatch)

    first = plans.assign_group("g1", {"status": 1, "notify": False})
    second = plans.assign_group("g2", {"status": 1, "notify": False})

    assert (first.status, second.status) == (200, 200), second.body
    assert first.json()["id"] != second.json()["id"]
    for answer, group in ((first, "g1"), (second, "g2")):
        progress = plans.api.get(f"/enrolment/plan/group-assignment/{answer.json()['id']}", token=plans.staff)
        assert progress.status == 200, progress.body
        assert progress.json()["group_id"] == group
