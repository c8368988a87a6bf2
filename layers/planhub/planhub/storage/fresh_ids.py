"""Creates under a fresh numeric id: when the id turns out taken, the create is made again with a new one.

`planhub.ids.new_numeric_id` draws ids that two Lambda containers can both draw in the same
second (planhub/ids.py). Every create guards its new item with `attribute_not_exists(PK)`, so
the second create is refused, never overwrites the first. That refusal, and only that one (the
new item's own existence condition), is worth a new id: `created_with_fresh_id` builds the
create again around a newly drawn id, a bounded number of times. A create refused by any other
condition (an active ref, a balance, a version) raises its `TransactionCanceled` as before, for
the service to answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from planhub import ids
from planhub.observability import logger
from planhub.storage.keys import Key
from planhub.storage.table import Put, Table, TransactionCanceled, Write, not_exists

FRESH_ID_ATTEMPTS = 3  # ids drawn per create: two collisions in a row are already beyond belief

# A create under a given id: its writes, and the key of the new item its id names.
Create = Callable[[int], tuple[Sequence[Write], Key]]


def id_taken(canceled: TransactionCanceled, writes: Sequence[Write], key: Key) -> bool:
    """Whether the transaction was refused because the item at `key` exists: the Put creating it
    under `attribute_not_exists(PK)` failed its condition."""
    for index in canceled.failed_conditions():
        write = writes[index] if index < len(writes) else None
        if (
            isinstance(write, Put)
            and write.condition == not_exists()
            and (write.item["PK"], write.item["SK"]) == (key["PK"], key["SK"])
        ):
            return True
    return False


def created_with_fresh_id(table: Table, create: Create, attempts: int = FRESH_ID_ATTEMPTS) -> int:
    """Writes `create(id)` in one transaction under a freshly drawn id, drawing again while the id is
    taken (at most `attempts` ids); answers the id written. Any other refusal raises at once."""
    for attempt in range(1, attempts + 1):
        new_id = ids.new_numeric_id()
        writes, key = create(new_id)
        try:
            table.transact(writes)
        except TransactionCanceled as canceled:
            if attempt < attempts and id_taken(canceled, writes, key):
                logger.warning("a fresh id was taken; drawing another", extra={"id": new_id, "attempt": attempt})
                continue
            raise
        return new_id
    raise AssertionError("unreachable: the last attempt returns or raises")
