"""What a payment pays, and how its charge is recorded: the one shape of every charge.

A subscription's period (its invoice), one order of a `PER_ORDER` plan, and an order invoice
(a period's orders of one plan) are paid the same way (`run.Biller`):

1. **Open.** Its payment, made by `Chargeable.payment(now)` (`processing`, leased to the
   caller, id derived from the subject), is put with `attribute_not_exists` in the
   transaction that opens the subject (the invoice; the order).
2. **Charge.** At Stripe with `Chargeable.idempotency_key`: `invoice-<invoice id>` for an
   invoice (a subscription's or an order invoice), `order-<order id>` for an order. The keys
   are what make a charge exactly once across runs, retries and deploys: never change them.
3. **Settle.** `Settlement` (how the charge ended) is the writes that record it: the payment
   `processing -> succeeded | failed` (conditioned on `processing`, so it happens once), the
   invoice `paid | failed`, the orders `paid | payment_failed`, and the data of the email
   event. A subscription adds its failure count (and maybe its cancellation) around them.

Pure: no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from planhub.billing.models import (
    InvoiceStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentState,
    Subscription,
    derived_id,
    iso_ms,
    major,
)
from planhub.errors import PaymentDeclined
from planhub.events import EventType
from planhub.storage import Expression, Update, Write
from planhub.storage import keys as table_keys

LEASE = timedelta(minutes=2)


def invoice_idempotency_key(invoice_id: str) -> str:
    """The Stripe idempotency key of an invoice's charge (a subscription's or an order invoice)."""
    return f"invoice-{invoice_id}"


def order_idempotency_key(order_id: str) -> str:
    """The Stripe idempotency key of one order's charge (`PER_ORDER` plans)."""
    return f"order-{order_id}"


@dataclass(frozen=True)
class Chargeable:
    """What is being paid, by whom, with what, under which idempotency key."""

    subject_id: str
    subject_kind: Literal["invoice", "order"]
    idempotency_key: str
    description: str
    company_id: str
    user_id: str
    amount: int
    currency: str
    payment_method_id: str | None
    customer_id: str | None
    subscription_id: str | None = None
    order_ids: list[str] | None = field(default=None)
    email: str | None = None
    name: str | None = None

    @classmethod
    def period(cls, s: Subscription, n: int, invoice_id: str) -> Chargeable:
        """A subscription's period n, billed on the invoice `invoice_id`."""
        return cls(
            subject_id=invoice_id,
            subject_kind="invoice",
            idempotency_key=invoice_idempotency_key(invoice_id),
            description=f"Subscription {s.id}, period {n + 1}",
            company_id=s.company_id,
            user_id=s.user_id,
            amount=s.amount,
            currency=s.currency,
            payment_method_id=s.payment_method_id,
            customer_id=s.customer_id,
            subscription_id=s.id,
        )

    @classmethod
    def order(cls, order: Order, method_id: str | None, customer_id: str | None) -> Chargeable:
        """One order of a `PER_ORDER` plan, paid with the method given."""
        return cls(
            subject_id=order.id,
            subject_kind="order",
            idempotency_key=order_idempotency_key(order.id),
            description=f"Order {order.id} of plan {order.plan_id}",
            company_id=order.company_id,
            user_id=order.user_id,
            amount=order.amount,
            currency=order.currency,
            payment_method_id=method_id,
            customer_id=customer_id,
            email=order.email,
            name=order.name,
        )

    @classmethod
    def orders(cls, orders: list[Order], invoice_id: str, method_id: str | None, customer_id: str | None) -> Chargeable:
        """A period's orders of one plan (the first one's owner), billed on the invoice `invoice_id`."""
        first = orders[0]
        assert first.bill_at is not None
        return cls(
            subject_id=invoice_id,
            subject_kind="invoice",
            idempotency_key=invoice_idempotency_key(invoice_id),
            description=f"Orders of plan {first.plan_id} until {iso_ms(first.bill_at)}",
            company_id=first.company_id,
            user_id=first.user_id,
            amount=sum(o.amount for o in orders),
            currency=first.currency,
            payment_method_id=method_id,
            customer_id=customer_id,
            order_ids=[o.id for o in orders],
            email=first.email,
            name=first.name,
        )

    @property
    def payment_id(self) -> str:
        return derived_id("payment", self.subject_id, 1)

    def payment(self, now: datetime) -> Payment:
        """Its first payment: `processing`, leased to the caller until `now + LEASE`."""
        return Payment(
            id=self.payment_id,
            company_id=self.company_id,
            user_id=self.user_id,
            amount=self.amount,
            currency=self.currency,
            subject_id=self.subject_id,
            subject_kind=self.subject_kind,
            subscription_id=self.subscription_id,
            order_ids=self.order_ids,
            email=self.email,
            name=self.name,
            payment_method_id=self.payment_method_id,
            customer_id=self.customer_id,
            idempotency_key=self.idempotency_key,
            description=self.description,
            current_state=PaymentState.PROCESSING,
            lease_until=now + LEASE,
            attempts=1,
            created=now,
            modified=now,
        )


@dataclass(frozen=True)
class Settlement:
    """How a payment's charge ended (`charge_id`, or `declined`), as the writes recording it."""

    payment: Payment
    now: datetime
    charge_id: str | None = None
    declined: PaymentDeclined | None = None

    @property
    def succeeded(self) -> bool:
        return self.declined is None

    @property
    def event_type(self) -> EventType:
        return EventType.INVOICE_PAID if self.succeeded else EventType.INVOICE_PAYMENT_FAILED

    def writes(self) -> list[Write]:
        """The payment's write first (conditioned on `processing`: refused once settled), then
        its subject's: the invoice, and the orders it covers (or the order it pays)."""
        return [self._payment_write(), *self._subject_writes()]

    def _payment_write(self) -> Update:
        declined = self.declined
        return Update(
            table_keys.payment(self.payment.id),
            Expression(
                "SET current_state = :state, charge_id = :charge, status_code = :code, error_message = :message, "
                "modified = :now REMOVE GSI2PK, GSI2SK, lease_until",
                values={
                    ":state": (PaymentState.SUCCEEDED if declined is None else PaymentState.FAILED).value,
                    ":charge": self.charge_id,
                    ":code": None if declined is None else declined.code,
                    ":message": None if declined is None else declined.message,
                    ":now": iso_ms(self.now),
                },
            ),
            Expression("current_state = :processing", values={":processing": PaymentState.PROCESSING.value}),
        )

    def _subject_writes(self) -> list[Write]:
        payment, succeeded = self.payment, self.succeeded
        writes: list[Write] = []
        if payment.subject_kind == "invoice":
            writes.append(
                Update(
                    table_keys.invoice(payment.subject_id),
                    Expression(
                        "SET #status = :status, charge_id = :charge, modified = :now",
                        names={"#status": "status"},
                        values={
                            ":status": (InvoiceStatus.PAID if succeeded else InvoiceStatus.FAILED).value,
                            ":charge": self.charge_id,
                            ":now": iso_ms(self.now),
                        },
                    ),
                )
            )
        order_ids = payment.order_ids or ([payment.subject_id] if payment.subject_kind == "order" else [])
        writes.extend(
            Update(
                table_keys.order(order_id),
                Expression(
                    "SET #status = :status, payment_id = :payment, modified = :now",
                    names={"#status": "status"},
                    values={
                        ":status": (OrderStatus.PAID if succeeded else OrderStatus.PAYMENT_FAILED).value,
                        ":payment": payment.id,
                        ":now": iso_ms(self.now),
                    },
                ),
            )
            for order_id in order_ids
        )
        return writes

    def invoice_data(self) -> dict[str, Any]:
        """What every payment email event says of the invoice (or order) paid."""
        payment = self.payment
        return {
            "invoice_id": payment.subject_id,
            "payment_id": payment.id,
            "invoice": {
                "id": payment.subject_id,
                "amount": payment.amount,
                "amount_display": f"{major(payment.amount, payment.currency)} {payment.currency}",
                "currency": payment.currency,
            },
        }

    def order_event_data(self) -> dict[str, Any]:
        """The email event of an order's payment (or an order invoice's): no subscription."""
        payment = self.payment
        data: dict[str, Any] = {
            **self.invoice_data(),
            "company_id": payment.company_id,
            "user_id": payment.user_id,
            "order_ids": payment.order_ids,
            "subject_display": f"order {payment.subject_id}"
            if payment.subject_kind == "order"
            else f"the orders of invoice {payment.subject_id}",
            "recipient": {"user_id": payment.user_id, "email": payment.email, "name": payment.name or "there"},
            "notify": bool(payment.email),
        }
        if self.declined is not None:
            data.update(status_code=self.declined.code, error_message=self.declined.message, cancelled=False)
        return data
