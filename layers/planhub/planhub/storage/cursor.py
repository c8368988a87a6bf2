"""The one codec of every list's opaque `cursor` (docs/product.md "Errors and bad input": tampered cursors are 400).

A cursor is the last key a Query read, as URL-safe base64 JSON. Decoding checks that it is
a key *this* Query could have handed out: exactly the key attributes of the table (and of
the index, when one is queried), every one a non-empty string within DynamoDB's key sizes,
the partition the Query reads, a sort key within the Query's prefix or range. Anything else
is `BadCursor` (400), never a failed Query (500).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from planhub.errors import InvalidInput
from planhub.storage.codec import from_attributes, to_attributes

# DynamoDB's limits on key attribute values, in UTF-8 bytes.
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024


class BadCursor(InvalidInput):
    """A cursor this list did not give out (400)."""

    def __init__(self) -> None:
        super().__init__(
            "Invalid request: cursor: not a cursor this list gave out",
            details=[{"field": "query.cursor", "message": "not a cursor this list gave out"}],
        )


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(from_attributes(last_key)).encode()).decode()


def decode(
    cursor: str | None,
    *,
    pk: str,
    index: str | None = None,
    sk_prefix: str | None = None,
    sk_between: tuple[str, str] | None = None,
) -> dict[str, Any] | None:
    """The ExclusiveStartKey of a cursor given out by a Query of `pk` (on `index`), or BadCursor."""
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, RecursionError) as error:  # not base64, not JSON, huge numbers
        raise BadCursor from error
    pk_name, sk_name = ("PK", "SK") if index is None else (f"{index}PK", f"{index}SK")
    if not isinstance(raw, dict) or set(raw) != {"PK", "SK", pk_name, sk_name}:
        raise BadCursor
    if not all(isinstance(value, str) and value for value in raw.values()):
        raise BadCursor
    for name, value in raw.items():
        limit = MAX_PARTITION_KEY_BYTES if name.endswith("PK") else MAX_SORT_KEY_BYTES
        try:
            size = len(value.encode("utf-8"))  # a lone surrogate ("\ud800") is no key either
        except UnicodeEncodeError as error:
            raise BadCursor from error
        if size > limit:
            raise BadCursor
    sort_key = raw[sk_name]
    if raw[pk_name] != pk:
        raise BadCursor
    if sk_prefix is not None and not sort_key.startswith(sk_prefix):
        raise BadCursor
    if sk_between is not None and not sk_between[0] <= sort_key <= sk_between[1]:
        raise BadCursor
    return to_attributes(raw)
