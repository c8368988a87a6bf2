"""Creates under a fresh numeric id (planhub.storage.fresh_ids): a taken id is drawn again, a
bounded number of times; any other refusal is the caller's, at once."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from planhub import ids
from planhub.storage import keys as table_keys
from planhub.storage.fresh_ids import FRESH_ID_ATTEMPTS, created_with_fresh_id, id_taken
from planhub.storage.keys import Key
from planhub.storage.table import CancellationReason, Expression, Put, Table, TransactionCanceled, Write, not_exists


def repeat_next_id_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The id source gives its next id twice, as two containers may draw one id in the same second."""
    real = ids._sequence.take
    given: list[tuple[int, int]] = []

    def take() -> tuple[int, int]:
        drawn = given[0] if len(given) == 1 else real()
        given.append(drawn)
        return drawn

    monkeypatch.setattr(ids._sequence, "take", take)


class FakeTable(Table):
    """Refuses each transaction with the next canned reasons (None: accepts it)."""

    def __init__(self, refusals: list[list[str] | None]) -> None:
        super().__init__("fake")
        self.refusals = refusals
        self.sent: list[Sequence[Write]] = []

    def transact(self, writes: Sequence[Write]) -> None:
        self.sent.append(writes)
        codes = self.refusals.pop(0)
        if codes is not None:
            raise TransactionCanceled(
                [CancellationReason(code, {"PK": "x"} if code != "None" else None) for code in codes]
            )


def create(new_id: int) -> tuple[list[Write], Key]:
    key = table_keys.plan(new_id)
    ref = {"PK": "ACTIVE#1", "SK": "ACTIVE#1"}
    writes: list[Write] = [Put({**key, "id": new_id}, not_exists()), Put(ref, Expression("plan_id = :old"))]
    return writes, key


def test_a_taken_id_is_drawn_again() -> None:
    table = FakeTable([["ConditionalCheckFailed", "None"], None])

    written = created_with_fresh_id(table, create)

    assert len(table.sent) == 2
    first, second = (writes[0] for writes in table.sent)
    assert isinstance(first, Put) and isinstance(second, Put)
    assert first.item["id"] != second.item["id"] == written


def test_another_condition_failing_is_not_retried() -> None:
    table = FakeTable([["None", "ConditionalCheckFailed"], None])

    with pytest.raises(TransactionCanceled):
        created_with_fresh_id(table, create)

    assert len(table.sent) == 1


def test_a_conflict_is_not_an_id_taken() -> None:
    writes, key = create(7)

    assert not id_taken(TransactionCanceled([CancellationReason("TransactionConflict", None)] * 2), writes, key)
    assert id_taken(
        TransactionCanceled([CancellationReason("ConditionalCheckFailed", {}), CancellationReason("None", None)]),
        writes,
        key,
    )


def test_ids_are_drawn_a_bounded_number_of_times() -> None:
    table = FakeTable([["ConditionalCheckFailed", "None"]] * FRESH_ID_ATTEMPTS)

    with pytest.raises(TransactionCanceled):
        created_with_fresh_id(table, create)

    assert len(table.sent) == FRESH_ID_ATTEMPTS


def test_the_forced_repeat_gives_one_id_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    repeat_next_id_once(monkeypatch)

    first, second, third = ids.new_numeric_id(), ids.new_numeric_id(), ids.new_numeric_id()

    assert first == second != third
