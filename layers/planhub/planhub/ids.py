"""Identifier generators.

Plan and enrolment ids are positive integers (the Go1 seeds show them so) within 2^53 - 1
(`MAX_SAFE_INTEGER`), so a JavaScript client reads them exactly (docs/product.md "Everyday operations"). Instead
of a counter item, which would be one more call and a hot key on every create, an id is the
seconds since 2020 (31 bits: until 2088) shifted left 22 bits, plus a 22-bit sequence: each
process starts its sequence at a random point and counts up, so ids one process makes
never repeat (threads included: the sequence is taken under a lock; a process that used up
a second's 4,194,304 waits for the next second), and two processes' ids meet only when both
make ids in the same second from overlapping stretches of the sequence. Every create still
guards its id with `attribute_not_exists`, so such a meeting refuses a create, never
overwrites one. Ids made before (milliseconds shifted 22 bits, about 9 x 10^17) are larger
than any made now and keep working: ids are compared, never decoded.
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time

_EPOCH_S = 1_577_836_800  # 2020-01-01T00:00:00Z
_SEQUENCE_BITS = 22
_SEQUENCE_SIZE = 1 << _SEQUENCE_BITS
MAX_NUMERIC_ID = (1 << 53) - 1


class _Sequence:
    """The process's id sequence: a random start, then one more per id, per second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._second = -1
        self._start = 0
        self._next = 0

    def take(self) -> tuple[int, int]:
        with self._lock:
            while True:
                second = int(time.time()) - _EPOCH_S
                if second > self._second:
                    self._second, self._next = second, 0
                    self._start = secrets.randbits(_SEQUENCE_BITS)
                if self._next < _SEQUENCE_SIZE:
                    taken = (self._start + self._next) % _SEQUENCE_SIZE
                    self._next += 1
                    return self._second, taken
                time.sleep(0.001)  # this second's sequence is used up


_sequence = _Sequence()


def new_numeric_id() -> int:
    """A positive integer id within 2^53 - 1, never repeated by this process."""
    second, taken = _sequence.take()
    return (second << _SEQUENCE_BITS) | taken


_object_id_process = os.urandom(5)
_object_id_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_object_id_lock = threading.Lock()


def new_object_id() -> str:
    """A 24-hex id shaped like a MongoDB ObjectId (the subscription seed's `$oid`)."""
    with _object_id_lock:
        counter = next(_object_id_counter) % 0xFFFFFF
    return (int(time.time()).to_bytes(4, "big") + _object_id_process + counter.to_bytes(3, "big")).hex()


def new_token(length_bytes: int = 24) -> str:
    """An unguessable URL-safe token (credit tokens, idempotency keys)."""
    return secrets.token_urlsafe(length_bytes)
