"""Identifier generators.

Plan and enrolment ids are positive integers (the Go1 seeds show them so). Instead of a
counter item, which would be one more call and a hot key on every create, an id is the
milliseconds since 2020 shifted left 22 bits plus 22 random bits: ordered by time,
unique in practice, and every create still guards it with `attribute_not_exists`.
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time

_EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
_RANDOM_BITS = 22


def new_numeric_id() -> int:
    elapsed_ms = int(time.time() * 1000) - _EPOCH_MS
    return (elapsed_ms << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS)


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
