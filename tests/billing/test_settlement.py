"""The payment every charge starts from (billing.settlement.Chargeable): its id and its Stripe
idempotency key come from what it pays, as they always did, so a charge stays exactly once
across runs, retries and deploys."""

from __future__ import annotations

from datetime import UTC, datetime

from planhub.billing.models import Order, PaymentState, derived_id
from planhub.billing.run import LEASE, idempotency_key_of
from planhub.billing.settlement import Chargeable

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def order(order_id: str, amount: int = 30000) -> Order:
    return Order(
        id=order_id,
        occurrence=f"{order_id}-0",
        plan_id="plan-1",
        company_id="company-1",
        user_id="dave",
        email="dave@example.com",
        amount=amount,
        currency="NOK",
        due=NOW,
        billing_interval="PER_ORDER",
        created=NOW,
        modified=NOW,
    )


def test_an_order_s_payment_keeps_the_order_s_id_and_key() -> None:
    payment = Chargeable.order(order("o-1"), "method-1", "cus_1").payment(NOW)

    assert payment.id == derived_id("payment", "o-1", 1)
    assert payment.idempotency_key == "order-o-1"
    assert (payment.subject_id, payment.subject_kind, payment.order_ids) == ("o-1", "order", None)
    assert (payment.current_state, payment.lease_until, payment.attempts) == (PaymentState.PROCESSING, NOW + LEASE, 1)
    assert payment.email == "dave@example.com" and payment.customer_id == "cus_1"


def test_an_order_invoice_s_payment_keeps_the_invoice_s_id_and_key() -> None:
    orders = [order("o-1"), order("o-2", 10000)]
    for o in orders:
        o.bill_at = NOW

    payment = Chargeable.orders(orders, "inv-1", None, None).payment(NOW)

    assert payment.id == derived_id("payment", "inv-1", 1)
    assert payment.idempotency_key == "invoice-inv-1" == idempotency_key_of("inv-1")
    assert (payment.subject_kind, payment.order_ids, payment.amount) == ("invoice", ["o-1", "o-2"], 40000)
    assert payment.customer_id is None  # no method: settled as declined, never charged
