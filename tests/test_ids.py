"""Plan and enrolment ids (docs/product.md "Everyday operations"): positive integers within 2^53 - 1, unique under
concurrency; ids stored before (about 9 x 10^17) keep working."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from planhub import ids
from planhub.ids import MAX_NUMERIC_ID, new_numeric_id

THREADS = 8
PER_THREAD = 5_000


def test_ids_made_by_many_threads_at_once_are_unique_positive_and_within_2_53() -> None:
    made: list[list[int]] = [[] for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def make(slot: list[int]) -> None:
        start.wait()
        slot.extend(new_numeric_id() for _ in range(PER_THREAD))

    workers = [threading.Thread(target=make, args=(slot,)) for slot in made]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    every = [i for slot in made for i in slot]

    assert len(set(every)) == THREADS * PER_THREAD
    assert all(0 < i <= MAX_NUMERIC_ID for i in every)
    assert MAX_NUMERIC_ID == 2**53 - 1


def test_ids_stay_within_2_53_until_2088(monkeypatch: pytest.MonkeyPatch) -> None:
    late = datetime(2088, 1, 1, tzinfo=UTC).timestamp()
    monkeypatch.setattr(ids.time, "time", lambda: late)
    monkeypatch.setattr(ids, "_sequence", ids._Sequence())

    assert 0 < new_numeric_id() <= MAX_NUMERIC_ID


def test_a_used_up_second_waits_for_the_next_rather_than_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_800_000_000.0]
    monkeypatch.setattr(ids.time, "time", lambda: clock[0])
    monkeypatch.setattr(ids.time, "sleep", lambda _s: clock.__setitem__(0, clock[0] + 1))
    monkeypatch.setattr(ids, "_SEQUENCE_SIZE", 4)
    monkeypatch.setattr(ids, "_sequence", ids._Sequence())

    made = [new_numeric_id() for _ in range(9)]

    assert len(set(made)) == 9
    assert len({i >> 22 for i in made}) == 3  # three seconds of four ids (the last one)


def test_ids_are_ordered_by_the_second_they_were_made_in() -> None:
    first = new_numeric_id()

    assert new_numeric_id() >> 22 >= first >> 22
