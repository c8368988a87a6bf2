"""`make harden`: the authorization matrix, generated requests on every documented route,
garbage bodies, then the effects' books (events dead-lettered, emails doubled, credits
billed vs metered). Prints a summary table; exits non-zero when anything is found."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from typing import Any

from hardening.classes import class_findings, class_rows, hostile_classes, policy_change_race
from hardening.fuzz import Fuzzer, Tally
from hardening.matrix import missing_routes, run_matrix
from hardening.world import World, quiet, running_world, template
from planhub_local.server import schedules_enabled


def effects(world: World) -> dict[str, int]:
    """After everything has drained: what was lost (dead-lettered) or done twice."""
    world.stack.drain()
    emails = Counter((tuple(e["to"]), e["subject"], e["body"]) for e in world.stack.sent_emails())
    return {
        "dead-lettered": len(world.stack.failures),
        "emails doubled": sum(n - 1 for n in emails.values() if n > 1),
        **world.books.reconcile(world),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardening")
    parser.add_argument("--examples", type=int, default=240, help="generated requests per operation")
    parser.add_argument(
        "--seed", type=int, default=None, help="vary the generated requests (default: the same every run)"
    )
    parser.add_argument("--verbose", action="store_true", help="list every finding")
    args = parser.parse_args(argv)

    from planhub_local.openapi import build

    started = time.monotonic()
    document = build()  # what `make openapi` writes: always the current routes
    routes = [(r.method, r.path) for r in template().routes()]
    missing = missing_routes(routes)
    fuzzed, garbage = Tally(), Tally()
    # The template's schedules fire throughout, as on AWS (PLANHUB_SCHEDULES=off: not).
    with quiet(), running_world(schedules=schedules_enabled([])) as world:
        cells = run_matrix(world)
        fuzzer = Fuzzer(world, document)
        for operation in fuzzer.operations:
            garbage.merge(fuzzer.garbage(operation))
            fuzzed.merge(fuzzer.fuzz(operation, args.examples, args.seed))
        classes, race = hostile_classes(world, fuzzer), policy_change_race(world)  # issue 12's classes
        books = {**effects(world), "credits lost in the policy-change race": race["credits lost"]}
    elapsed = time.monotonic() - started

    matrix_5xx = [c.describe() for c in cells if c.server_error]
    matrix_wrong = [c.describe() for c in cells if c.mismatch]
    matrix_leaks = [c.describe() for c in cells if c.leak or c.leaked_secret(world)]
    rows: list[tuple[str, Any, Any, Any, Any]] = [
        ("authorization matrix", len(cells), len(matrix_5xx), len(matrix_leaks), len(matrix_wrong)),
        (
            "generated from OpenAPI",
            fuzzed.requests,
            len(fuzzed.server_errors),
            len(fuzzed.leaks),
            len(fuzzed.undocumented) + len(fuzzed.wrong_shape),
        ),
        (
            "garbage bodies",
            garbage.requests,
            len(garbage.server_errors),
            len(garbage.leaks),
            len(garbage.undocumented) + len(garbage.wrong_shape),
        ),
        *class_rows(classes, race),
    ]
    total = sum(int(r[1]) for r in rows)
    server_errors = sum(int(r[2]) for r in rows)
    leaks = sum(int(r[3]) for r in rows)
    lost_or_doubled = sum(books.values())
    print(f"planhub hardening: {len(routes)} routes, {len(fuzzer.operations)} documented operations, {elapsed:.0f} s")
    print()
    print(f"| {'part':<26} | {'requests':>8} | {'5xx':>5} | {'leaks':>5} | {'off-document':>12} |")
    print(f"| {'-' * 26} | {'-' * 8}:| {'-' * 4}:| {'-' * 4}:| {'-' * 11}:|")
    for name, requests, errors, leaked, wrong in rows:
        print(f"| {name:<26} | {requests:>8} | {errors:>5} | {leaked:>5} | {wrong:>12} |")
    print(f"| {'total':<26} | {total:>8} | {server_errors:>5} | {leaks:>5} | {'':>12} |")
    print()
    print("| effect after draining every event | count |")
    print("| --- | ---: |")
    for name, count in books.items():
        print(f"| {name} | {count} |")
    answers, credits = world.books.totals()
    print(f"\nbillable answers seen: {answers}, credits they billed: {credits}")
    for line in world.books.details:
        print("  books: " + line)
    print()
    print(f"routes missing from the matrix: {len(missing)}; statuses seen: {dict(sorted(fuzzed.statuses.items()))}")
    if fuzzed.successes_undocumented:
        print(f"operations whose success status the document does not list: {len(fuzzed.successes_undocumented)}")
    findings = [
        *(f"matrix 5xx: {x}" for x in matrix_5xx),
        *(f"matrix: {x}" for x in matrix_wrong),
        *(f"5xx: {x}" for x in fuzzed.server_errors + garbage.server_errors),
        *(f"leak: {x}" for x in fuzzed.leaks + garbage.leaks),
        *(f"off-document: {x}" for x in fuzzed.undocumented + fuzzed.wrong_shape),
        *(f"off-document: {x}" for x in garbage.undocumented + garbage.wrong_shape),
        *(f"missing from the matrix: {m} {p}" for m, p in missing),
        *class_findings(classes, race),
    ]
    if findings:
        # Leaks are always shown whole (route, actor, status, the id, the body around it).
        distinct = sorted(
            {f if args.verbose or f.startswith("leak") else f.split(" as ")[0] + " ..." for f in findings}
        )
        print(f"\n{len(findings)} findings ({len(distinct)} distinct shown):")
        for line in distinct[:60]:
            print("  " + line)
    ok = not findings and lost_or_doubled == 0 and total >= 10_000
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
