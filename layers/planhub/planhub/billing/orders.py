"""Orders of recurring order plans: every `order due` occurrence becomes exactly one order.

The order's id is derived from the occurrence (plan, recurring day, index), and it is put
with `attribute_not_exists`: a redelivered event, a Lambda retry or a replayed dead letter
finds the order there and does nothing more.

- `PER_ORDER` plans: the order is charged at once with the user's default payment method
  (their newest live one), in the same way the billing run charges an invoice: the order
  and its payment (`processing`, leased) in one transaction, the charge with the
  idempotency key `order-<order id>`, then one settling transaction (`paid` or
  `payment_failed`). Without a payment method the order is `awaiting_payment`, and an
  email says so (the event is in the order's own transaction, so it goes out once); when
  the user adds a method, `on_payment_method_created` charges it, once.
- Periodic plans (`WEEK`, `MONTH`, `MONTH_END`): the order waits, indexed under
  `ORDERBILL#<shard>` by the end of its calendar period (the UTC week from Monday, or the
  calendar month), until the billing run invoices the period's orders of the plan together
  (`Biller.bill_orders`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from planhub import events
from planhub.billing.models import (
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    derived_id,
    iso_ms,
    major,
    to_ms_precision,
)
from planhub.billing.run import RUN_ACTOR, Biller, Report
from planhub.billing.settlement import Chargeable
from planhub.events import DomainEvent, EventType
from planhub.observability import logger
from planhub.payments import methods
from planhub.storage import Expression, Put, Table, TransactionCanceled, Update, Write, not_exists
from planhub.storage import keys as table_keys

CONSUMER_ACTOR = "orders"


def calendar_period(billing_interval: str, moment: datetime) -> tuple[datetime, datetime]:
    """The calendar period holding `moment`: its UTC week from Monday, or its calendar month."""
    moment = moment.astimezone(UTC)
    if billing_interval == "WEEK":
        start = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) - timedelta(days=moment.weekday())
        return start, start + timedelta(days=7)
    start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
    end = datetime(moment.year + (moment.month == 12), moment.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _now() -> datetime:
    return to_ms_precision(datetime.now(UTC))


class OrderBook:
    def __init__(self, table: Table, biller: Biller, clock: Callable[[], datetime] = _now) -> None:
        self.table = table
        self.biller = biller
        self.clock = clock

    @classmethod
    def from_environment(cls) -> OrderBook:
        biller = Biller.from_environment()
        return cls(biller.repository.table, biller)

    def on_order_due(self, event: DomainEvent) -> str:
        """Makes the occurrence's order (once); answers what became of it."""
        data = event.data
        now = self.clock()
        due = datetime.fromisoformat(str(data["due_at"]).replace("Z", "+00:00"))
        order = Order(
            id=derived_id("order", data["order_id"]),
            occurrence=str(data["order_id"]),
            plan_id=str(data["plan_id"]),
            company_id=str(data["company_id"]),
            user_id=str(data["user_id"]),
            email=data.get("user_email"),
            name=data.get("user_name"),
            items=[
                OrderItem(
                    product_id=i["product_id"],
                    quantity=i["quantity"],
                    unit_amount=i["unit_amount"],
                    discount=str(i.get("discount", "0")),
                )
                for i in data.get("items", [])
            ],
            amount=int(data["amount"]),
            currency=str(data["currency"]),
            due=due,
            billing_interval=str(data["billing_interval"]),
            created=now,
            modified=now,
        )
        summary = {
            "order_id": order.id,
            "plan_id": order.plan_id,
            "plan_name": data.get("plan_name"),
            "company_id": order.company_id,
            "user_id": order.user_id,
            "amount": order.amount,
            "currency": order.currency,
            "amount_display": f"{major(order.amount, order.currency)} {order.currency}",
        }
        writes: list[Write]
        payment: Payment | None = None
        if order.billing_interval != "PER_ORDER":
            start, end = calendar_period(order.billing_interval, due)
            order = order.model_copy(update={"period_start": start, "bill_at": end})
            writes = [Put(order.to_item(), not_exists())]
            writes.append(events.record(DomainEvent.of(EventType.ORDER_CREATED, summary, actor=CONSUMER_ACTOR)))
        else:
            method = methods.default_method(self.table, order.company_id, order.user_id)
            if method is None:
                order = order.model_copy(update={"status": OrderStatus.AWAITING_PAYMENT})
                recipient = {"user_id": order.user_id, "email": order.email, "name": order.name or "there"}
                data_out = {**summary, "recipient": recipient, "notify": bool(order.email)}
                writes = [
                    Put(order.to_item(), not_exists()),
                    events.record(DomainEvent.of(EventType.ORDER_AWAITING_PAYMENT, data_out, actor=CONSUMER_ACTOR)),
                ]
            else:
                payment = Chargeable.order(order, method.id, method.customer_id).payment(now)
                order = order.model_copy(update={"payment_id": payment.id})
                writes = [
                    Put(order.to_item(), not_exists()),
                    Put(payment.to_item(), not_exists()),
                    events.record(DomainEvent.of(EventType.ORDER_CREATED, summary, actor=CONSUMER_ACTOR)),
                ]
        try:
            self.table.transact(writes)
        except TransactionCanceled as canceled:
            if 0 in canceled.failed_conditions():
                logger.info("order already made (a redelivery)", extra={"order_id": order.id})
                return "duplicate"
            raise
        if payment is not None:
            self.biller.charge(payment, now, Report())
        return order.status.value

    def on_payment_method_created(self, event: DomainEvent) -> dict[str, int]:
        """A user added a payment method: their orders left `awaiting_payment` are charged with
        their default method (the newest live one: the one just added, unless deleted since).

        Each order once, however often the event comes: the transaction that opens its payment
        requires the order still `awaiting_payment` without a payment, and puts the payment
        (its id derived from the order) with `attribute_not_exists`. The charge carries the
        order's key (`order-<order id>`) and settles the order `paid` or `payment_failed`, as a
        `PER_ORDER` order made with a method would be. Stripe not answering leaves the payment
        `processing`: the billing run charges it again after its lease, with the same key."""
        company_id, user_id = str(event.data["company_id"]), str(event.data["user_id"])
        method = methods.default_method(self.table, company_id, user_id)
        if method is None:
            return {"charged": 0}  # deleted since: the orders keep waiting for the next one
        report = Report()
        charged = 0
        for order in self.biller.repository.awaiting_orders(company_id, user_id):
            now = self.clock()
            payment = Chargeable.order(order, method.id, method.customer_id).payment(now)
            try:
                self.table.transact([_paying(order, payment.id, now), Put(payment.to_item(), not_exists())])
            except TransactionCanceled as canceled:
                if canceled.failed_conditions():
                    logger.info("order already being paid (a redelivery)", extra={"order_id": order.id})
                    continue
                raise
            self.biller.charge(payment, now, report)
            charged += 1
        logger.info("awaiting orders charged", extra={"user_id": user_id, "charged": charged, **report.as_dict()})
        return {"charged": charged, "paid": report.paid, "failed": report.failed, "pending": report.pending}


def _paying(order: Order, payment_id: str, now: datetime) -> Update:
    """The order leaves `awaiting_payment` for its payment (`created`, as an order being charged)."""
    return Update(
        table_keys.order(order.id),
        Expression(
            "SET #status = :created, payment_id = :payment, modified = :now",
            names={"#status": "status"},
            values={":created": OrderStatus.CREATED.value, ":payment": payment_id, ":now": iso_ms(now)},
        ),
        Expression(
            "#status = :awaiting AND attribute_not_exists(payment_id)",
            names={"#status": "status"},
            values={":awaiting": OrderStatus.AWAITING_PAYMENT.value},
        ),
    )


__all__ = ["RUN_ACTOR", "OrderBook", "calendar_period"]
