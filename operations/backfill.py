"""`make backfill`: give plans and enrolments stored before the user's lists existed their index attributes.

The list routes (a user's plans: GSI1, GSI3; a user's enrolments: GSI1, GSI2) query indexes
that items written by older releases lack, so those items are missing from the lists. This
one-off operator tool reads the whole table with a parallel Scan (the one sanctioned Scan:
docs/decisions/operations-index-backfill.md), and for each plan or enrolment without some of its
list attributes computes them from the entity model (`from_item(item).to_item()`: the keys are
the entities' own, not repeated here) and writes only the missing ones with an UpdateItem whose
condition is that the item is as scanned (its `version` and `updated_at`, the attributes every
change of an enrolment or of a plan's place in the lists writes) and still lacks them. A
concurrent write therefore wins: the update is refused (counted `raced`), and the attributes are
computed again from the item as it now stands.

It is idempotent (a second run updates nothing) and resumable: after each page it prints each
segment's `LastEvaluatedKey` and, with `--state FILE`, keeps them there; run again with the same
file to go on where it stopped (a finished segment is `"done"`).

    python -m operations.backfill --table-name planhub-Table-... [--segments 4] [--state backfill.json] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

LAYER = Path(__file__).resolve().parent.parent / "layers" / "planhub"
if str(LAYER) not in sys.path:
    sys.path.insert(0, str(LAYER))

from planhub.enrolments.models import Enrolment  # noqa: E402
from planhub.plans.models import Plan  # noqa: E402
from planhub.storage import races  # noqa: E402
from planhub.storage.codec import from_attributes  # noqa: E402
from planhub.storage.entity import Entity  # noqa: E402
from planhub.storage.table import ConditionFailed, Expression, Table  # noqa: E402

# The entity types backfilled and the list attributes each must carry. (A plan's GSI2, the due
# notices' index, is not a list's: an old plan is not put on a notice day it was never on.)
LISTED: dict[str, tuple[type[Entity], tuple[str, ...]]] = {
    "plan": (Plan, ("GSI1PK", "GSI1SK", "GSI3PK", "GSI3SK")),
    "enrolment": (Enrolment, ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")),
}
# What a change of the item writes: the update is conditioned on these being as scanned.
CHANGE_MARKERS = ("version", "updated_at")
RACE_ATTEMPTS = 5  # an item changed this many times during its own backfill is left to the next run
DONE = "done"


@dataclass
class Counts:
    scanned: int = 0  # items the Scan read (every kind)
    updated: int = 0  # plans and enrolments given their missing attributes
    skipped: int = 0  # plans and enrolments that had them all
    raced: int = 0  # updates refused because the item changed since it was read
    left: int = 0  # items that changed on every attempt, left for the next run
    invalid: list[str] = field(default_factory=list)  # items the entity model refuses, and why
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **amounts: int) -> None:
        with self.lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def summary(self) -> str:
        return (
            f"scanned {self.scanned}; updated {self.updated}; skipped {self.skipped}; "
            f"raced {self.raced}; left {self.left}; invalid {len(self.invalid)}"
        )


def missing_index_attributes(item: dict[str, Any]) -> dict[str, Any]:
    """The list attributes a plan or enrolment item lacks, with their values (none: nothing to do)."""
    entity, names = LISTED[str(item.get("entity"))]
    complete = entity.from_item(item).to_item()
    return {name: complete[name] for name in names if name not in item and name in complete}


def _update(missing: dict[str, Any], item: dict[str, Any]) -> tuple[Expression, Expression]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    sets: list[str] = []
    conditions = ["attribute_exists(PK)"]  # never create an item that was deleted
    for index, (name, value) in enumerate(sorted(missing.items())):
        names[f"#i{index}"] = name
        values[f":i{index}"] = value
        sets.append(f"#i{index} = :i{index}")
        conditions.append(f"attribute_not_exists(#i{index})")
    for index, name in enumerate(CHANGE_MARKERS):
        names[f"#m{index}"] = name
        if name in item:
            values[f":m{index}"] = item[name]
            conditions.append(f"#m{index} = :m{index}")
        else:
            conditions.append(f"attribute_not_exists(#m{index})")
    return (
        Expression("SET " + ", ".join(sets), names=names, values=values),
        Expression(" AND ".join(conditions)),
    )


def backfill_item(table: Table, item: dict[str, Any], counts: Counts, *, dry_run: bool = False) -> None:
    """Writes the item's missing list attributes unless it changed since read; then from its new state."""
    current: dict[str, Any] | None = item
    for attempt in races.attempts(RACE_ATTEMPTS):
        if current is None or current.get("entity") not in LISTED:
            return  # deleted, or no longer a plan or an enrolment
        try:
            missing = missing_index_attributes(current)
        except ValueError as refused:  # pydantic's ValidationError is a ValueError
            with counts.lock:
                counts.invalid.append(f"{current.get('PK')}: {str(refused).splitlines()[0]}")
            return
        if not missing:
            counts.add(skipped=1)
            return
        if dry_run:
            counts.add(updated=1)
            return
        update, condition = _update(missing, current)
        try:
            table.update({"PK": current["PK"], "SK": current["SK"]}, update, condition)
        except ConditionFailed as changed:
            counts.add(raced=1)
            attempt.lost("a backfilled item changed meanwhile; working it out again", changed, pk=current["PK"])
            current = changed.item
            continue
        counts.add(updated=1)
        return
    counts.add(left=1)  # changed on every attempt: the next run finds it again


class Progress:
    """Each segment's position: a `LastEvaluatedKey` to go on from, or `done`; kept in `path` if given."""

    def __init__(self, segments: int, path: Path | None, out: Callable[[str], None]) -> None:
        self.segments = segments
        self.path = path
        self.out = out
        self.lock = threading.Lock()
        self.positions: dict[str, Any] = {}
        if path is not None and path.exists():
            state = json.loads(path.read_text())
            if state.get("segments") != segments:
                raise SystemExit(f"{path} was written for {state.get('segments')} segments, not {segments}")
            self.positions = dict(state.get("positions", {}))

    def start(self, segment: int) -> dict[str, Any] | str | None:
        return self.positions.get(str(segment))

    def reached(self, segment: int, position: dict[str, Any] | None) -> None:
        with self.lock:
            self.positions[str(segment)] = position if position is not None else DONE
            self.out(f"segment {segment}/{self.segments} {json.dumps(self.positions[str(segment)])}")
            if self.path is not None:
                state = {"segments": self.segments, "positions": self.positions}
                self.path.write_text(json.dumps(state, indent=1) + "\n")


def _scan_segment(
    dynamodb: Any, table: Table, segment: int, progress: Progress, counts: Counts, *, page_size: int, dry_run: bool
) -> None:
    start = progress.start(segment)
    if start == DONE:
        return
    while True:
        params: dict[str, Any] = {
            "TableName": table.name,
            "Segment": segment,
            "TotalSegments": progress.segments,
            "Limit": page_size,
            "FilterExpression": "#entity IN (:plan, :enrolment)",
            "ExpressionAttributeNames": {"#entity": "entity"},
            "ExpressionAttributeValues": {":plan": {"S": "plan"}, ":enrolment": {"S": "enrolment"}},
        }
        if isinstance(start, dict):
            params["ExclusiveStartKey"] = start
        answer = dynamodb.scan(**params)
        counts.add(scanned=int(answer.get("ScannedCount", 0)))
        for attributes in answer.get("Items", []):
            backfill_item(table, from_attributes(attributes), counts, dry_run=dry_run)
        start = answer.get("LastEvaluatedKey")
        progress.reached(segment, start)
        if start is None:
            return


def backfill(
    dynamodb: Any,
    table_name: str,
    *,
    segments: int = 4,
    state: Path | None = None,
    page_size: int = 500,
    dry_run: bool = False,
    out: Callable[[str], None] = print,
) -> Counts:
    """Scans the table in `segments` parallel segments and backfills every plan and enrolment."""
    table = Table(table_name, dynamodb)
    progress = Progress(segments, None if dry_run else state, out)  # a dry run resumes nothing, records nothing
    counts = Counts()
    with ThreadPoolExecutor(max_workers=segments) as pool:
        running = [
            pool.submit(_scan_segment, dynamodb, table, segment, progress, counts, page_size=page_size, dry_run=dry_run)
            for segment in range(segments)
        ]
        for each in running:
            each.result()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m operations.backfill", description=__doc__.split("\n\n")[0])
    parser.add_argument("--table-name", required=True, help="TableName (a stack output)")
    parser.add_argument("--segments", type=int, default=4, help="parallel Scan segments (and threads)")
    parser.add_argument("--state", type=Path, default=None, help="file keeping each segment's position: resume from it")
    parser.add_argument("--page-size", type=int, default=500, help="items a Scan page reads")
    parser.add_argument("--region", default=None)
    parser.add_argument("--dry-run", action="store_true", help="count what would change; change nothing (no --state)")
    args = parser.parse_args(argv)
    if args.segments < 1:
        parser.error("--segments must be at least 1")
    dynamodb = boto3.client("dynamodb", region_name=args.region)
    options = {"segments": args.segments, "state": args.state, "page_size": args.page_size, "dry_run": args.dry_run}
    counts = backfill(dynamodb, args.table_name, **options)
    print(counts.summary())
    for line in counts.invalid:
        print("  invalid " + line)
    return 1 if counts.invalid else 0


if __name__ == "__main__":
    sys.exit(main())
