"""Group fan-out at 1,000 and 10,000 members, beside the batch writes alone.

    .venv/bin/python -m benchmarks.group_fanout      (BENCH_FANOUT_SIZES=1000,10000)

For each size, on a fresh local stack: the demo seed, N users written directly (as a bulk
seed would), a group of all N through the admin API, events drained. Measured: an admin's
POST /enrolment/plan/p-acme/lo-course/group/everyone and the drain that carries the fan-out
to every member (stream -> bus -> batch consumers), its wall time, DynamoDB calls and items
written. Floor: the same number of items, of the same size, written with Table.write_many
(unconditional BatchWriteItem, 25 a call) on the same table. Not a test: it prints only.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any

from planhub_local.stack import configure_process

configure_process()

from moto import mock_aws  # noqa: E402

from benchmarks._dynamodb import metered  # noqa: E402
from planhub.records.user import User  # noqa: E402
from planhub.storage import Table  # noqa: E402
from planhub.storage.codec import from_attributes  # noqa: E402
from planhub_local import tokens  # noqa: E402
from planhub_local.gateway import Gateway  # noqa: E402
from planhub_local.seed import load_seed  # noqa: E402
from planhub_local.server import DEMO_SEED  # noqa: E402
from planhub_local.stack import LocalStack, forget_warm_containers  # noqa: E402
from planhub_local.template import ACCOUNT, REGION  # noqa: E402

PORTAL = "p-acme"
LO = "lo-course"


def _stored_items(stack: LocalStack) -> list[dict[str, Any]]:
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[ACCOUNT][REGION].get_table(stack.table_name)
    return [item.to_json()["Attributes"] for partition in table.items.values() for item in partition.values()]


def _measure(size: int) -> dict[str, Any]:
    with mock_aws():
        forget_warm_containers()  # every size starts from cold containers
        stack = LocalStack().create()
        gateway = Gateway(stack)
        staff = tokens.staff()
        load_seed(DEMO_SEED, gateway, staff)
        members = [f"member-{n:05d}" for n in range(size)]
        table = Table(stack.table_name)
        table.write_many([User(portal_id=PORTAL, id=m, email=f"{m}@example.com", name=m).to_item() for m in members])
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {staff}"}
        answer = gateway.handle(
            "PUT", f"/admin/portals/{PORTAL}/groups/everyone", headers, json.dumps({"title": "All", "members": members})
        )
        assert answer.status < 300, answer.body
        stack.drain(timeout_seconds=1800)
        before = {(i["PK"]["S"], i["SK"]["S"]) for i in _stored_items(stack)}

        admin = tokens.token("admin-1", roles={PORTAL: ["admin"]})
        headers["Authorization"] = f"Bearer {admin}"
        with metered() as usage:
            started = time.perf_counter()
            answer = gateway.handle(
                "POST",
                f"/enrolment/plan/{PORTAL}/{LO}/group/everyone",
                headers,
                json.dumps({"status": 1, "notify": False}),
            )
            stack.drain(timeout_seconds=1800)
            fan_out_s = time.perf_counter() - started
        after = _stored_items(stack)
        written = [i for i in after if (i["PK"]["S"], i["SK"]["S"]) not in before]
        plans = sum(1 for i in written if i.get("entity", {}).get("S") == "plan")

        # The floor: as many items, of the same sizes, written blind in batches of 25.
        copies = [{**from_attributes(i), "PK": f"FLOOR#{n}", "SK": "FLOOR"} for n, i in enumerate(written)]
        with metered() as floor_usage:
            started = time.perf_counter()
            table.write_many(copies)
            floor_s = time.perf_counter() - started
        return {
            "size": size,
            "status": answer.status,
            "plans": plans,
            "items": len(written),
            "failures": len(stack.failures),
            "fan_out_s": fan_out_s,
            "calls": usage.total,
            "operations": usage.operations(),
            "floor_s": floor_s,
            "floor_calls": floor_usage.total,
        }


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_FANOUT_SIZES", "1000,10000").split(",")]
    results = []
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the functions' log lines are not figures
    for size in sizes:
        with contextlib.redirect_stdout(quiet):
            results.append(_measure(size))
    print("members  answer  plans  items written  failures  fan-out s  ms/member  calls  floor s  floor calls  x floor")
    for r in results:
        print(
            f"{r['size']:7d}  {r['status']:6d}  {r['plans']:5d}  {r['items']:13d}  {r['failures']:8d}"
            f"  {r['fan_out_s']:9.1f}  {r['fan_out_s'] * 1000 / r['size']:9.2f}  {r['calls']:5d}"
            f"  {r['floor_s']:7.1f}  {r['floor_calls']:11d}  {r['fan_out_s'] / r['floor_s']:7.1f}"
        )
        print(f"         operations: {r['operations']}")
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = (last["fan_out_s"] / last["size"]) / (first["fan_out_s"] / first["size"])
        print(
            f"time per member at {last['size']} / at {first['size']}: {growth:.2f}"
            " (1.00 is linear; the target is constant time per member)"
        )


if __name__ == "__main__":
    main()
