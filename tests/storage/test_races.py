"""The one retry-on-lost-race loop (planhub.storage.races): pure logic, no table."""

from __future__ import annotations

from typing import Any

import pytest

from planhub.errors import ConcurrentModification, NotFound
from planhub.storage import TransactionCanceled, races
from planhub.storage.table import CancellationReason


class Log:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def info(self, message: str, *, extra: dict[str, Any]) -> None:
        self.lines.append((message, extra))


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> Log:
    log = Log()
    monkeypatch.setattr(races, "logger", log)
    return log


def conflict() -> TransactionCanceled:
    return TransactionCanceled([CancellationReason("None", None), CancellationReason("TransactionConflict", None)])


def write_that_loses(times: int) -> list[int]:
    """Tries until the write wins; the `times` first ones lose. Answers the attempts' numbers."""
    tried: list[int] = []
    for attempt in races.attempts(3):
        tried.append(attempt.number)
        try:
            if len(tried) <= times:
                raise conflict()
        except TransactionCanceled as canceled:
            attempt.lost("write raced a concurrent change; deciding again", canceled, item="x")
            continue
        return tried
    raise ConcurrentModification(f"kept changing over attempts {tried}; try again")


def test_a_write_that_wins_at_once_is_tried_once_and_logs_nothing(log: Log) -> None:
    assert write_that_loses(0) == [1]
    assert log.lines == []


def test_a_write_that_loses_k_races_wins_at_attempt_k_plus_one_logging_each_loss(log: Log) -> None:
    assert write_that_loses(2) == [1, 2, 3]
    assert log.lines == [
        (
            "write raced a concurrent change; deciding again",
            {"attempt": n, "attempts": 3, "reasons": ["None", "TransactionConflict"], "item": "x"},
        )
        for n in (1, 2)
    ]


def test_after_the_last_lost_race_the_loop_ends_and_the_callers_409_follows(log: Log) -> None:
    with pytest.raises(ConcurrentModification, match=r"kept changing over attempts \[1, 2, 3\]; try again"):
        write_that_loses(3)

    assert [extra["attempt"] for _, extra in log.lines] == [1, 2, 3]


def test_an_error_that_is_no_lost_race_passes_through_at_once(log: Log) -> None:
    tried = 0
    with pytest.raises(NotFound, match="gone"):
        for _ in races.attempts(5):
            tried += 1
            raise NotFound("gone")

    assert tried == 1
    assert log.lines == []


def test_a_loss_is_logged_with_the_reasons_given(log: Log) -> None:
    numbers = []
    for attempt in races.attempts(2):
        numbers.append(attempt.number)
        attempt.lost("lost", ["ConditionalCheckFailed"])

    assert numbers == [1, 2]
    assert log.lines[-1] == ("lost", {"attempt": 2, "attempts": 2, "reasons": ["ConditionalCheckFailed"]})


def test_an_attempt_ending_without_a_result_nor_a_lost_race_is_a_callers_mistake(log: Log) -> None:
    with pytest.raises(RuntimeError, match="attempt 1 of 3"):
        for _ in races.attempts(3):
            pass


def test_a_pause_is_taken_between_attempts_never_after_the_last(log: Log) -> None:
    slept: list[float] = []
    attempts = list[races.Attempt]()
    for attempt in races.attempts(3, sleep=slept.append):
        attempts.append(attempt)
        attempt.lost("lost", conflict(), pause=0.01 * attempt.number)

    assert slept == [0.01, 0.02]
    assert [a.is_last for a in attempts] == [False, False, True]


def test_reasons_name_a_cancellations_codes_or_another_errors_type() -> None:
    assert races.reasons_of(conflict()) == ["None", "TransactionConflict"]
    assert races.reasons_of(KeyError("k")) == ["KeyError"]
    try:
        raise KeyError("stored differs") from conflict()
    except KeyError as raised_from_a_cancellation:
        assert races.reasons_of(raised_from_a_cancellation) == ["None", "TransactionConflict"]
    assert races.reasons_of(["StaleVersion"]) == ["StaleVersion"]
    assert races.reasons_of(None) == []


def test_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least one attempt"):
        next(races.attempts(0))


def test_a_pause_sleeps_with_time_sleep_unless_told_otherwise(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)

    for attempt in races.attempts(2):
        attempt.lost("lost", conflict(), pause=0.5)

    assert slept == [0.5]
