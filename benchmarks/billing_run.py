"""The billing run over 1,000 and 10,000 due subscriptions, charged at the local Stripe endpoint.

    .venv/bin/python -m benchmarks.billing_run      (BENCH_BILLING_SIZES=200,1000 by default)
    BENCH_BILLING_SIZES=1000,10000 .venv/bin/python -m benchmarks.billing_run   (issue 14's sizes)

`make bench` runs 200 and 1,000 (a few minutes on the shared machine); issue 14's 10,000
takes about 20 minutes or more locally (moto's own cost per TransactWriteItems).

For each size, on a fresh local stack with the Stripe test endpoint: N ACTIVE subscriptions
whose first period has begun, written directly (as a migration would), all paying with one
`tok_visa` customer. Then the billing run (its production code: Biller, StripeGateway, the
SDK over HTTP to the endpoint), with the endpoint answering 429 `rate_limit` for the first
0.2 s (the gateway retries with the same idempotency keys), then a second run for the same
minute (a redelivered schedule event), which must charge nothing.

Printed: DynamoDB calls per subscription by operation (the run on one thread, so every call
is recorded), beside the access pattern's minimum: 2 TransactWriteItems per subscription
(the invoice with its payment and the subscription's advance, before the charge, since a
Stripe call cannot join a transaction; the outcome with its email event, after it) plus
one GSI2 Query per 100 due subscriptions and a few per shard to find nothing more; time per
subscription; and the charges counted at the endpoint: doubled (two charges for one
period) and missed (a period without a succeeded charge) must both be 0.
Not a test: it prints only.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from planhub_local.stack import configure_process

configure_process()

from moto import mock_aws  # noqa: E402

from planhub.billing.models import Subscription, SubscriptionStatus  # noqa: E402
from planhub.billing.periods import Interval  # noqa: E402
from planhub.billing.repository import BillingRepository  # noqa: E402
from planhub.billing.run import Biller  # noqa: E402
from planhub.payments import RetryPolicy, StripeGateway  # noqa: E402
from planhub.storage import Table  # noqa: E402
from planhub_local.dynamodb_calls import recorded  # noqa: E402
from planhub_local.stack import LocalStack  # noqa: E402
from planhub_local.stripe_endpoint import StripeEndpoint  # noqa: E402

START = datetime(2031, 1, 31, 9, 0, tzinfo=UTC)
COMPANY = "5a0000000000000000000001"


def _subscriptions(size: int, customer: str) -> list[Subscription]:
    return [
        Subscription(
            id=f"{n:024x}",
            company_id=COMPANY,
            user_id=f"user-{n:05d}",
            plan_id="5b0000000000000000000001",
            amount=30000,
            currency="NOK",
            billing_interval=Interval.MONTH,
            payment_method_id="5c0000000000000000000001",
            customer_id=customer,
            status=SubscriptionStatus.ACTIVE,
            starting_date=START,
            infinite=True,
            due_at=START,
            created=START - timedelta(days=1),
            modified=START - timedelta(days=1),
        )
        for n in range(size)
    ]


def _measure(size: int, endpoint: StripeEndpoint) -> dict[str, object]:
    endpoint.reset()
    with mock_aws():
        stack = LocalStack().create()
        table = Table(stack.table_name)
        customer = endpoint.create_customer("tok_visa")
        BillingRepository(table).bulk_load(_subscriptions(size, customer))
        secret = "/" + stack.template.parameters["StripeSecretParameterName"].lstrip("/")  # the stack put it there
        gateway = StripeGateway(secret, api_base=endpoint.url, retry=RetryPolicy(base_delay=0.05, max_delay=0.2))
        biller = Biller(table, lambda: gateway, concurrency=1)
        endpoint.rate_limit(next=3)
        started = time.perf_counter()
        with recorded() as calls:
            report = biller.run(START + timedelta(minutes=1))
        elapsed = time.perf_counter() - started
        again = biller.run(START + timedelta(minutes=1))  # the same minute, redelivered
    per_period = Counter(c["description"] for c in endpoint.succeeded_charges())
    return {
        "size": size,
        "seconds": elapsed,
        "ms_per_subscription": 1000 * elapsed / size,
        "calls": calls.operations(),
        "paid": report.paid,
        "second_run_invoiced": again.invoiced,
        "rate_limited": endpoint.rate_limited,
        "doubled": sum(1 for n in per_period.values() if n > 1),
        "missed": size - len(per_period),
    }


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_BILLING_SIZES", "200,1000").split(",") if s]
    endpoint = StripeEndpoint().start()
    try:
        print(
            "billing run: N due subscriptions, each charged once at the local Stripe endpoint "
            "(429 for its first 3 requests; then the same minute again)"
        )
        print("minimum per subscription: 2 TransactWriteItems, plus 1 Query per 100 and a few per shard")
        for size in sizes:
            figures = _measure(size, endpoint)
            calls: Counter[str] = figures["calls"]  # type: ignore[assignment]
            per = ", ".join(f"{op} {n / size:.3f}" for op, n in sorted(calls.items()))
            print(
                f"  N={size:>6}: {figures['seconds']:.1f} s, {figures['ms_per_subscription']:.2f} ms per subscription; "
                f"DynamoDB calls per subscription {sum(calls.values()) / size:.3f} ({per}); "
                f"paid {figures['paid']}, 429s answered {figures['rate_limited']}, "
                f"doubled {figures['doubled']}, missed {figures['missed']}, "
                f"second run invoiced {figures['second_run_invoiced']}",
                flush=True,
            )
    finally:
        endpoint.stop()


if __name__ == "__main__":
    main()
