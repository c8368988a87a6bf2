"""The billing run: bill every period that has begun, exactly once, oldest first.

Finding work: a subscription with billing work (a period to bill, its end, a refund) is in
GSI2 under `BILLDUE#<shard>` with the sort key `<when>#<id>`; a Query per shard for keys up
to "now" finds it however late (after an outage every missed period is still due).

Exactly once, in three steps per period n:

1. **Invoice.** One transaction puts the invoice (id derived from (subscription, n), condition
   `attribute_not_exists`) and its payment (state `processing`, leased to this run), and moves
   the subscription to period n + 1 under the condition `version = <read>`. Two runs (or a
   retried Lambda, or a redelivered schedule event) that read the same subscription race
   on that condition: one commits, the other gets the subscription as it now stands and
   finds period n done. No second invoice can exist: its key is taken.
2. **Charge.** The Stripe charge carries the idempotency key `invoice-<invoice id>`, so even
   a charge repeated after a crash (the lease ran out, another run picked the payment up)
   is one charge at Stripe. 429 / lock_timeout are retried by the gateway with the same key.
3. **Settle.** One transaction moves the payment `processing -> succeeded | failed` (condition
   `current_state = processing`), the invoice `open -> paid | failed`, counts a failure on the
   subscription, and records the email events. It happens once: the condition sees to it.

A run that dies between 1 and 3 leaves the payment `processing` under `PAYDUE#<shard>`, sorted
by its lease's end; once the lease is over the next run claims it (a conditional update on
the lease it read) and charges again with the same key.

Every charge (a subscription's period, an order invoice, one order of a `PER_ORDER` plan)
takes the same path: its payment from `settlement.Chargeable`, opened in the subject's own
transaction, then `_charge` (Stripe, with the chargeable's idempotency key) and `_settle`
(the `settlement.Settlement` writes, in one transaction, once). Only what a settlement does
besides differs: a subscription counts its failures (and may be cancelled); orders do not.

Concurrency: subscriptions of one page are billed by a bounded pool of threads
(`concurrency`), so a run makes at most that many Stripe requests at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from threading import Lock
from typing import TypeVar

from planhub import events
from planhub.billing import lifecycle
from planhub.billing.gateway import Gateway, PaymentDeclined, PaymentUnavailable
from planhub.billing.models import (
    LIVE_STATUSES,
    FailAction,
    Invoice,
    InvoiceStatus,
    Order,
    Payment,
    PaymentState,
    Subscription,
    SubscriptionStatus,
    derived_id,
    iso_ms,
)
from planhub.billing.repository import BillingRepository, StaleVersion, WriteRefused
from planhub.billing.settlement import LEASE, Chargeable, Settlement, invoice_idempotency_key
from planhub.events import DomainEvent, EventType
from planhub.observability import logger
from planhub.payments import methods
from planhub.settings import TableEnvironment
from planhub.storage import (
    ConditionFailed,
    Expression,
    Put,
    Table,
    TransactionCanceled,
    Update,
    Write,
    not_exists,
    races,
)
from planhub.storage import keys as table_keys

T = TypeVar("T")
R = TypeVar("R")

SUBSCRIPTIONS_PER_QUERY = 100
ORDERS_PER_QUERY = 200
ORDERS_PER_INVOICE = 90  # the invoice, its payment and each order's update in one transaction (<= 100)
MAX_ROUNDS_PER_SHARD = 1000
MAX_STEPS_PER_SUBSCRIPTION = 60  # periods caught up per subscription in one run (the rest: the next run)
STOP_WITH_SECONDS_LEFT = 15.0
SETTLE_ATTEMPTS = 5  # a period's settlement decided again after a lost race; then its lease runs out
DEFAULT_CONCURRENCY = 8
RUN_ACTOR = "billing-run"


@dataclass
class Report:
    invoiced: int = 0
    paid: int = 0
    failed: int = 0
    cancelled: int = 0
    refunds: int = 0
    pending: int = 0
    _lock: Lock = field(default_factory=Lock, repr=False)
    _waiting: set[str] = field(default_factory=set, repr=False)  # a charge did not get through this run

    def add(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def wait(self, subscription_id: str) -> None:
        with self._lock:
            self._waiting.add(subscription_id)

    def is_waiting(self, subscription_id: str) -> bool:
        with self._lock:
            return subscription_id in self._waiting

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


def invoice_id_of(subscription_id: str, period: int) -> str:
    return derived_id("invoice", subscription_id, period)


def idempotency_key_of(invoice_id: str) -> str:
    return invoice_idempotency_key(invoice_id)


class Biller:
    def __init__(
        self,
        table: Table,
        gateway: Callable[[], Gateway],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        refunds: Callable[[Invoice, int, Subscription], Write] | None = None,
    ) -> None:
        self.repository = BillingRepository(table)
        self._gateway_factory = gateway
        self._gateway: Gateway | None = None
        self.concurrency = concurrency
        self.refund_request = refunds

    @classmethod
    def from_environment(cls) -> Biller:
        from planhub.billing import gateway

        stripe = gateway.from_environment()  # reads the function's settings now; the SDK loads later
        return cls(Table(TableEnvironment.load().table_name), lambda: stripe, refunds=durable_refund)

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            self._gateway = self._gateway_factory()
        return self._gateway

    # --- the run ----------------------------------------------------------------------------

    def run(self, now: datetime, seconds_left: Callable[[], float] = lambda: 600.0) -> Report:
        """Payments left pending first (so a period is charged before the next is invoiced),
        then every subscription with work due, then the orders of ended periods."""
        report = Report()
        with _executor(self.concurrency) as pool:
            for shard in range(table_keys.BILLING_SHARDS):
                self._charge_pending(shard, now, report, pool)
            for shard in range(table_keys.BILLING_SHARDS):
                for _ in range(MAX_ROUNDS_PER_SHARD):
                    if seconds_left() < STOP_WITH_SECONDS_LEFT:
                        logger.warning("billing run out of time; the next run goes on", extra=report.as_dict())
                        return report
                    due = self.repository.due_subscriptions(shard, now, SUBSCRIPTIONS_PER_QUERY)
                    progressed = sum(pool.map(lambda s: self._advance_safely(s, now, report), due))
                    if progressed == 0:  # nothing left (or only stale index entries)
                        break
                self.bill_orders(shard, now, report)
        logger.info("billing run done", extra={**report.as_dict(), "now": iso_ms(now)})
        return report

    def settle(self, subscription_id: str, now: datetime) -> Report:
        """One subscription's due work now (its first period at start), as the run does it."""
        report = Report()
        subscription = self.repository.subscription(subscription_id)
        if subscription is not None:
            self._advance_safely(subscription, now, report)
        return report

    def _advance_safely(self, subscription: Subscription, now: datetime, report: Report) -> int:
        if report.is_waiting(subscription.id):
            return 0  # its charge is waiting for Stripe: its later periods wait too
        try:
            return self._advance(subscription, now, report)
        except Exception:  # noqa: BLE001 - one broken subscription must not hold up the others
            logger.exception("could not bill a subscription", extra={"subscription_id": subscription.id})
            return 0

    def _advance(self, read: Subscription, now: datetime, report: Report) -> int:
        """Every step due at `now`, oldest first: bill periods, then end it, then refund."""
        subscription: Subscription | None = read
        steps = 0
        while subscription is not None and steps < MAX_STEPS_PER_SUBSCRIPTION:
            try:
                subscription = self._step(subscription, now, report)
            except StaleVersion as stale:
                subscription = stale.current or self.repository.subscription(read.id)
                continue
            except _ChargePending:
                report.wait(read.id)
                return steps + 1
            if subscription is None:
                break
            steps += 1
        return steps

    def _step(self, s: Subscription, now: datetime, report: Report) -> Subscription | None:
        """Does the earliest due step; answers the subscription after it (None: nothing was due)."""
        if s.status in LIVE_STATUSES and s.starting_date is not None:
            end_at = s.end_at()
            n = s.next_period
            if s.billable(n) and s.start_of(n) <= now:
                return self._invoice(s, n, now, report)
            if end_at is not None and end_at <= now:
                return self._end(s, end_at, report)
        if s.refund_at is not None and not s.refund_requested and s.refund_at <= now:
            return self._refund(s, now, report)
        return None

    # --- step 1: the invoice -------------------------------------------------------------------

    def _invoice(self, s: Subscription, n: int, now: datetime, report: Report) -> Subscription:
        invoice_id = invoice_id_of(s.id, n)
        payment = Chargeable.period(s, n, invoice_id).payment(now)
        payment_id = payment.id
        start, end = s.start_of(n), s.end_of(n)
        invoice = Invoice(
            id=invoice_id,
            subscription_id=s.id,
            period=n,
            company_id=s.company_id,
            user_id=s.user_id,
            amount=s.amount,
            currency=s.currency,
            period_start=start,
            period_end=end,
            due_date=start,
            payment_ids=[payment_id],
            created=now,
            modified=now,
        )
        status = SubscriptionStatus.ACTIVE if s.status is SubscriptionStatus.FUTURE else s.status
        changed = lifecycle.bumped(s, now, next_period=n + 1, status=status)
        event = lifecycle.event(
            EventType.INVOICE_CREATED, changed, RUN_ACTOR, invoice_id=invoice_id, period=n, payment_id=payment_id
        )
        try:
            self.repository.replace(
                s, changed, Put(invoice.to_item(), not_exists()), Put(payment.to_item(), not_exists()), outbox=[event]
            )
        except WriteRefused as refused:
            # The invoice exists though the subscription read said otherwise: a stale read.
            raise StaleVersion(None) from refused
        report.add("invoiced")
        # Should Stripe not answer, later periods wait: they are charged in order, after this one.
        return self._charge(payment, changed, now, report, wait_when_pending=True) or changed

    # --- step 2: the charge ---------------------------------------------------------------------

    def _charge(
        self,
        payment: Payment,
        s: Subscription | None,
        now: datetime,
        report: Report,
        *,
        wait_when_pending: bool = False,
    ) -> Subscription | None:
        """Charges and settles the payment; answers the subscription after it (None: unknown)."""
        if payment.amount == 0:
            return self._settle(payment, s, now, report, charge_id=None)
        if not payment.customer_id:
            declined = PaymentDeclined("no_payment_method", "No payment method")
            return self._settle(payment, s, now, report, declined=declined)
        try:
            charged = self.gateway.charge(
                customer_id=payment.customer_id,
                amount=payment.amount,
                currency=payment.currency,
                idempotency_key=payment.idempotency_key,
                description=payment.description,
            )
        except PaymentDeclined as declined:
            return self._settle(payment, s, now, report, declined=declined)
        except PaymentUnavailable:
            logger.warning("payment provider unavailable; the payment is retried later", extra={"payment": payment.id})
            report.add("pending")
            if wait_when_pending:
                raise _ChargePending from None
            return s
        return self._settle(payment, s, now, report, charge_id=charged.id)

    def charge(self, payment: Payment, now: datetime, report: Report) -> None:
        """Charges a payment just made `processing` (an order's), and settles it."""
        self._charge(payment, None, now, report)

    # --- the orders of periodic recurring order plans --------------------------------------------

    def bill_orders(self, shard: int, now: datetime, report: Report) -> None:
        """Invoices together, per plan, the orders of every calendar period that has ended."""
        for _ in range(MAX_ROUNDS_PER_SHARD):
            due = self.repository.orders_to_bill(shard, now, ORDERS_PER_QUERY)
            groups: dict[tuple[str, str], list[Order]] = {}
            for order in due:
                assert order.bill_at is not None
                groups.setdefault((order.plan_id, iso_ms(order.bill_at)), []).append(order)
            invoiced = 0
            for orders in groups.values():
                for start in range(0, len(orders), ORDERS_PER_INVOICE):
                    invoiced += self._invoice_orders(orders[start : start + ORDERS_PER_INVOICE], now, report)
            if invoiced == 0 or len(due) < ORDERS_PER_QUERY:
                return

    def _invoice_orders(self, orders: list[Order], now: datetime, report: Report) -> int:
        first = orders[0]
        assert first.bill_at is not None and first.period_start is not None
        invoice_id = derived_id("order-invoice", first.plan_id, iso_ms(first.bill_at), first.id)
        method = methods.default_method(self.repository.table, first.company_id, first.user_id)
        chargeable = Chargeable.orders(
            orders, invoice_id, method.id if method else None, method.customer_id if method else None
        )
        payment = chargeable.payment(now)
        amount = payment.amount
        invoice = Invoice(
            id=invoice_id,
            order_ids=payment.order_ids,
            company_id=first.company_id,
            user_id=first.user_id,
            amount=amount,
            currency=first.currency,
            period_start=first.period_start,
            period_end=first.bill_at,
            due_date=first.bill_at,
            payment_ids=[payment.id],
            created=now,
            modified=now,
        )
        writes: list[Write] = [
            Put(invoice.to_item(), not_exists()),
            Put(payment.to_item(), not_exists()),
            *(
                Update(
                    table_keys.order(o.id),
                    Expression(
                        "SET invoice_id = :invoice, modified = :now REMOVE GSI2PK, GSI2SK",
                        values={":invoice": invoice_id, ":now": iso_ms(now)},
                    ),
                    Expression("attribute_not_exists(invoice_id)"),
                )
                for o in orders
            ),
        ]
        try:
            self.repository.transact(writes)
        except TransactionCanceled:
            return 0  # another run invoiced them (or the index was behind): the next query tells
        report.add("invoiced")
        self._charge(payment, None, now, report)
        return 1

    def _charge_pending(self, shard: int, now: datetime, report: Report, pool: Executor) -> None:
        """Payments a run left `processing` (it stopped, or Stripe did not answer): claimed once
        their lease is over, charged again with the same idempotency key."""
        pending = self.repository.due_payments(shard, now, SUBSCRIPTIONS_PER_QUERY)
        list(pool.map(lambda p: self._claim_and_charge(p, now, report), pending))

    def _claim_and_charge(self, payment: Payment, now: datetime, report: Report) -> None:
        try:
            claimed = self._claim(payment, now)
            if claimed is not None:
                self._charge(claimed, None, now, report)
        except Exception:  # noqa: BLE001
            logger.exception("could not charge a pending payment", extra={"payment_id": payment.id})

    def _claim(self, payment: Payment, now: datetime) -> Payment | None:
        if payment.current_state not in (PaymentState.CREATED, PaymentState.PROCESSING):
            return None
        if payment.lease_until is not None and payment.lease_until > now:
            return None
        lease = now + LEASE
        claimed = payment.model_copy(update={"lease_until": lease, "attempts": payment.attempts + 1, "modified": now})
        read_lease = iso_ms(payment.lease_until) if payment.lease_until else "none"
        try:
            self.repository.table.put(
                claimed.to_item(),
                Expression(
                    "current_state = :state AND (lease_until = :read OR attribute_not_exists(lease_until))",
                    values={":state": payment.current_state.value, ":read": read_lease},
                ),
            )
        except ConditionFailed:
            return None  # another run claimed it, or it was settled
        return claimed

    # --- step 3: settle ---------------------------------------------------------------------------

    def _settle(
        self,
        payment: Payment,
        s: Subscription | None,
        now: datetime,
        report: Report,
        *,
        charge_id: str | None = None,
        declined: PaymentDeclined | None = None,
    ) -> Subscription | None:
        """Records how the charge ended, once (the payment's write is conditioned on
        `processing`); answers the subscription after it (None: an order's, or settled already)."""
        settlement = Settlement(payment, now, charge_id=charge_id, declined=declined)
        if payment.subscription_id is None:
            self._settle_orders(settlement, report)
            return None
        return self._settle_period(settlement, s, report)

    def _settle_orders(self, settlement: Settlement, report: Report) -> None:
        """An order's payment (or an order invoice's): no subscription to count failures on."""
        event = DomainEvent.of(settlement.event_type, settlement.order_event_data(), actor=RUN_ACTOR)
        try:
            self.repository.transact([*settlement.writes(), events.record(event)])
        except TransactionCanceled as canceled:
            if 0 in canceled.failed_conditions():
                return  # settled already
            raise
        report.add("paid" if settlement.succeeded else "failed")

    def _settle_period(self, settlement: Settlement, s: Subscription | None, report: Report) -> Subscription | None:
        """A subscription's period: the settlement with the subscription's part (a failure is
        counted, and may cancel it), again on the subscription as it stands when it changed."""
        subscription_id = settlement.payment.subscription_id
        assert subscription_id is not None
        for attempt in races.attempts(SETTLE_ATTEMPTS):
            s = s or self.repository.subscription(subscription_id)
            if s is None:
                return None
            changed, writes, outbox = _period_outcome(settlement, s)
            try:
                if changed is None:
                    self.repository.transact([*settlement.writes(), *writes, *(events.record(e) for e in outbox)])
                else:
                    self.repository.replace(s, changed, *settlement.writes(), *writes, outbox=outbox)
            except StaleVersion as stale:
                attempt.lost("a period's settlement met a changed subscription; deciding again", stale, id=s.id)
                s = None
                continue
            except TransactionCanceled as canceled:
                if 0 in canceled.failed_conditions():
                    return None  # settled already (another run, a retry)
                if canceled.is_conflict:
                    attempt.lost("a period's settlement met a concurrent change; deciding again", canceled, id=s.id)
                    s = None
                    continue
                raise
            except WriteRefused as refused:
                if refused.index == 0:
                    return None  # the payment was settled already
                raise
            if changed is None:
                report.add("paid")
                return s
            report.add("failed")
            if changed.status is SubscriptionStatus.CANCELLED and s.status is not SubscriptionStatus.CANCELLED:
                report.add("cancelled")
            return changed
        logger.warning(
            "could not settle a payment; its lease runs out and it is retried", extra={"id": settlement.payment.id}
        )
        return None

    # --- the end and the refund ---------------------------------------------------------------

    def _end(self, s: Subscription, end_at: datetime, report: Report) -> Subscription:
        changed, writes = lifecycle.cancelled(s, end_at, "ended")
        event = lifecycle.email_event(EventType.SUBSCRIPTION_CANCELLED, changed, RUN_ACTOR, reason="ended")
        self.repository.replace(s, changed, *writes, outbox=[event])
        report.add("cancelled")
        return changed

    def _refund(self, s: Subscription, now: datetime, report: Report) -> Subscription:
        """The prorated refund of a stopped subscription's last period, at the period's end:
        requested through the payments package's durable path (an outbox event its consumer
        retries until Stripe confirms), in the same transaction that marks it requested."""
        changed = lifecycle.bumped(s, now, refund_requested=True)
        writes: list[Write] = []
        outbox: list[DomainEvent] = []
        invoice = self.repository.invoice(invoice_id_of(s.id, s.refund_period or 0))
        amount = -(s.prorate_amount or 0)
        if invoice is not None and invoice.status is InvoiceStatus.PAID and invoice.charge_id and amount > 0:
            writes.append(
                Update(
                    table_keys.invoice(invoice.id),
                    Expression(
                        "SET #status = :refunded, refunded_amount = :amount, modified = :now",
                        names={"#status": "status"},
                        values={":refunded": InvoiceStatus.REFUNDED.value, ":amount": amount, ":now": iso_ms(now)},
                    ),
                    Expression(
                        "#status = :paid", names={"#status": "status"}, values={":paid": InvoiceStatus.PAID.value}
                    ),
                )
            )
            if self.refund_request is not None:
                writes.append(self.refund_request(invoice, amount, s))
            outbox.append(
                lifecycle.event(
                    EventType.INVOICE_REFUND_REQUESTED,
                    changed,
                    RUN_ACTOR,
                    invoice_id=invoice.id,
                    charge_id=invoice.charge_id,
                    refund_amount=amount,
                    idempotency_key=f"refund-{invoice.id}",
                )
            )
            report.add("refunds")
        self.repository.replace(s, changed, *writes, outbox=outbox)
        return changed


def _period_outcome(
    settlement: Settlement, s: Subscription
) -> tuple[Subscription | None, list[Write], list[DomainEvent]]:
    """A subscription's part of a settlement: paid, a receipt (the subscription unchanged, None);
    failed, the failure counted (`CANCEL`, or more than `max_fail_attempts`: cancelled)."""
    if settlement.declined is None:
        receipt = lifecycle.email_event(
            EventType.INVOICE_PAID, s, RUN_ACTOR, **settlement.invoice_data(), charge_id=settlement.charge_id
        )
        return None, [], [receipt]
    declined, now = settlement.declined, settlement.now
    failed_attempts = s.failed_attempts + 1
    cancel = s.status in LIVE_STATUSES and (s.fail_action is FailAction.CANCEL or failed_attempts > s.max_fail_attempts)
    attempts_left = 0 if cancel else max(s.max_fail_attempts - failed_attempts, 0)
    writes: list[Write]
    if cancel:
        changed, writes = lifecycle.cancelled(s, now, "payment failed")
        changed = changed.model_copy(update={"failed_attempts": failed_attempts})
    else:
        changed, writes = lifecycle.bumped(s, now, failed_attempts=failed_attempts), []
    outbox = [
        lifecycle.email_event(
            EventType.INVOICE_PAYMENT_FAILED,
            changed,
            RUN_ACTOR,
            **settlement.invoice_data(),
            status_code=declined.code,
            error_message=declined.message,
            attempts_left=attempts_left,
            cancelled=cancel,
            continuing=not cancel,
        )
    ]
    if cancel:
        outbox.append(
            lifecycle.email_event(EventType.SUBSCRIPTION_CANCELLED, changed, RUN_ACTOR, reason="payment failed")
        )
    return changed, writes, outbox


class _ChargePending(Exception):
    """The provider did not answer: the subscription's later periods wait for a later run."""


class _Inline:
    """concurrency 1: the run's work on the calling thread (benchmarks count its calls there)."""

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        return map(function, items)

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *_: object) -> None:
        return None


Executor = ThreadPoolExecutor | _Inline


def _executor(concurrency: int) -> Executor:
    return ThreadPoolExecutor(max_workers=concurrency) if concurrency > 1 else _Inline()


def durable_refund(invoice: Invoice, amount: int, subscription: Subscription) -> Write:
    """The payments package's durable refund request (an outbox event its consumer retries
    until Stripe confirms), keyed by the invoice: requested twice, refunded once."""
    from planhub.payments import request_refund

    assert invoice.charge_id is not None
    return request_refund(
        charge_id=invoice.charge_id,
        amount=amount,
        currency=invoice.currency,
        idempotency_key=f"invoice-{invoice.id}-prorate-refund",
        subject={"type": "invoice", "id": invoice.id, "subscription_id": subscription.id},
        reason="prorated stop",
        actor=RUN_ACTOR,
    )


def scheduled_now(scheduled_time: str | None) -> datetime:
    now = datetime.fromisoformat(scheduled_time.replace("Z", "+00:00")) if scheduled_time else datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)
