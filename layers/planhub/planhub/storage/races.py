"""Read, decide, write under a condition; after a lost race, again: the one retry loop.

A service reads what it decides from, decides, and writes under a condition (or in a
transaction). When a concurrent change wins the race (`TransactionCanceled`, a stale
version, a failed condition handing back the stored item), the service decides again from
what is stored now, a bounded number of times, and then answers the caller's 409
(`ConcurrentModification`). The loop stays the caller's own `for`, so what it carries from
one attempt to the next (the stored item a failed condition handed back, a fresh snapshot)
is plain local variables, and its 409 follows the loop:

    for attempt in races.attempts(ATTEMPTS):
        holdings = read()
        try:
            table.transact(decide(holdings))
        except TransactionCanceled as canceled:
            attempt.lost("assignment raced a concurrent change; deciding again", canceled)
            continue
        return outcome
    raise ConcurrentModification("The plan kept changing meanwhile; try again")

An attempt ends in one of two ways:

- the caller leaves the loop (`return`, `break`, or an exception, which passes through
  untouched: only what the caller names as a lost race is retried);
- the caller calls `attempt.lost(message, because)`, which logs the lost race with the
  attempt's number and the reasons (the cancellation codes), optionally pauses, and lets
  the loop go on.

So the loop ends by itself only after `limit` lost races, where the caller raises its 409
(or answers whatever its exhaustion means). An attempt that ends neither way is a mistake in
the caller (a retry nobody can see in the logs) and raises `RuntimeError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from planhub.observability import logger
from planhub.storage.table import TransactionCanceled

Sleep = Callable[[float], None]


class Attempt:
    """One attempt of a retried read-decide-write: its number (from 1), and how to report losing it."""

    def __init__(self, number: int, of: int, sleep: Sleep | None = None) -> None:
        self.number = number
        self.of = of
        self._sleep = sleep
        self.was_lost = False

    @property
    def is_last(self) -> bool:
        return self.number == self.of

    def lost(
        self,
        message: str,
        because: BaseException | Iterable[str] | None = None,
        *,
        pause: float = 0.0,
        **context: Any,
    ) -> None:
        """This attempt lost a race: logs `message` with the attempt's number and the reasons
        (`reasons_of(because)`) beside `context`, then pauses `pause` seconds unless no
        attempt follows."""
        self.was_lost = True
        logger.info(
            message,
            extra={"attempt": self.number, "attempts": self.of, "reasons": reasons_of(because), **context},
        )
        if pause > 0 and not self.is_last:
            (self._sleep or time.sleep)(pause)  # looked up when pausing, so a test may patch time.sleep


def attempts(limit: int, *, sleep: Sleep | None = None) -> Iterator[Attempt]:
    """Up to `limit` attempts, the next one only after the previous was `lost`."""
    if limit < 1:
        raise ValueError(f"at least one attempt, not {limit}")
    for number in range(1, limit + 1):
        attempt = Attempt(number, limit, sleep)
        yield attempt
        if not attempt.was_lost:
            raise RuntimeError(
                f"attempt {number} of {limit} ended with neither a result nor a lost race: call attempt.lost(...)"
            )


def reasons_of(because: BaseException | Iterable[str] | None) -> list[str]:
    """What a lost race's log line names as its reasons: a cancellation's codes (also when the
    error was raised from one), another error's type name, or the strings given."""
    if because is None:
        return []
    if isinstance(because, BaseException):
        canceled = because if isinstance(because, TransactionCanceled) else because.__cause__
        if isinstance(canceled, TransactionCanceled):
            return [reason.code for reason in canceled.reasons]
        return [type(because).__name__]
    return list(because)
