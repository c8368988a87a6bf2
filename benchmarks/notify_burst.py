"""A 10,000-member group assigned with `notify`: every member emailed once, under SES's send rate.

    .venv/bin/python -m benchmarks.notify_burst      (BENCH_NOTIFY_SIZE=1000 by default)
    BENCH_NOTIFY_SIZE=10000 .venv/bin/python -m benchmarks.notify_burst   (issue 16's size)

`make bench` runs 1,000 members (about 3 minutes on the shared machine); 10,000 takes
about half an hour locally.

On a fresh local stack: the demo seed, N users written directly (as a bulk seed would), a
group of all N through the admin API, events drained. Measured: an admin's
POST /enrolment/plan/p-acme/lo-course/group/everyone with {"notify": true} and the drain that
carries it to every member's email (fan-out -> "plan assigned" events -> the email queue ->
SendEmailFunction, at most EMAIL_SENDERS containers, each paced to its share of the send
rate). The local SES throttles above the template's EmailMaxSendRate (14 a second, SES's
production default) on a simulated clock: waits for the rate cost no real time, and the
simulated seconds are what the burst takes on AWS at that rate. Figures: emails sent,
recipients emailed once / more than once / never, SES throttles, dead letters, the drain's
wall time, and the simulated sending time and rate beside the limit. Not a test: it prints only.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from typing import Any

from planhub_local.stack import configure_process

configure_process()

from moto import mock_aws  # noqa: E402

from planhub.records.user import User  # noqa: E402
from planhub.storage import Table  # noqa: E402
from planhub_local import moto_patches, tokens  # noqa: E402
from planhub_local.gateway import Gateway  # noqa: E402
from planhub_local.seed import load_seed  # noqa: E402
from planhub_local.server import DEMO_SEED  # noqa: E402
from planhub_local.stack import LocalStack, forget_warm_containers  # noqa: E402

PORTAL = "p-acme"
LO = "lo-course"


def _measure(size: int) -> dict[str, Any]:
    with mock_aws():
        forget_warm_containers()
        stack = LocalStack().create()
        gateway = Gateway(stack)
        staff = tokens.staff()
        load_seed(DEMO_SEED, gateway, staff)
        members = [f"member-{n:05d}" for n in range(size)]
        Table(stack.table_name).write_many(
            [User(portal_id=PORTAL, id=m, email=f"{m}@example.com", name=m).to_item() for m in members]
        )
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {staff}"}
        answer = gateway.handle(
            "PUT", f"/admin/portals/{PORTAL}/groups/everyone", headers, json.dumps({"title": "All", "members": members})
        )
        assert answer.status < 300, answer.body
        stack.drain(timeout_seconds=3600)
        emails_before = len(stack.sent_emails())
        throttled_before = moto_patches.ses_send_rate.throttled

        headers["Authorization"] = f"Bearer {tokens.token('admin-1', roles={PORTAL: ['admin']})}"
        simulated_start = moto_patches.ses_clock.monotonic()
        started = time.perf_counter()
        answer = gateway.handle(
            "POST", f"/enrolment/plan/{PORTAL}/{LO}/group/everyone", headers, json.dumps({"status": 1, "notify": True})
        )
        stack.drain(timeout_seconds=7200)
        wall_s = time.perf_counter() - started
        simulated_s = moto_patches.ses_clock.monotonic() - simulated_start

        emails = stack.sent_emails()[emails_before:]
        per_member = Counter(address for email in emails for address in email["to"])
        wanted = {f"{m}@example.com" for m in members}
        dead = stack.sqs.get_queue_attributes(
            QueueUrl=stack.failure_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        return {
            "size": size,
            "status": answer.status,
            "emails": len(emails),
            "once": sum(1 for a in wanted if per_member[a] == 1),
            "twice": sum(1 for a in wanted if per_member[a] > 1),
            "never": sum(1 for a in wanted if per_member[a] == 0),
            "throttled": moto_patches.ses_send_rate.throttled - throttled_before,
            "failures": len(stack.failures),
            "dead_letters": int(dead),
            "wall_s": wall_s,
            "simulated_s": simulated_s,
            "limit": moto_patches.ses_send_rate.per_second,
        }


def main() -> None:
    size = int(os.environ.get("BENCH_NOTIFY_SIZE", "1000"))
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the functions' log lines are not figures
    with contextlib.redirect_stdout(quiet):
        r = _measure(size)
    print("members  answer  emails  once  twice  never  throttled  dead letters  wall s  SES s  emails/SES s  limit/s")
    print(
        f"{r['size']:7d}  {r['status']:6d}  {r['emails']:6d}  {r['once']:4d}  {r['twice']:5d}  {r['never']:5d}"
        f"  {r['throttled']:9d}  {max(r['dead_letters'], r['failures']):12d}"
        f"  {r['wall_s']:6.1f}  {r['simulated_s']:5.0f}"
        f"  {r['emails'] / r['simulated_s']:12.1f}  {r['limit']:7.1f}"
    )
    print(
        "SES s: the burst's sending time on the local SES clock (real time plus the senders' paced waits),"
        " what it takes on AWS at the limit"
    )


if __name__ == "__main__":
    main()
