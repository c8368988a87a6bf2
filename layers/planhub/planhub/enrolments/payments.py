"""Paying for a learning object: Stripe (through the shared `planhub.payments`), credit tokens, coupons.

What paying takes is decided first, touching nothing (`priced`): a refusal (an invalid coupon,
no credit token, no payment method) comes before any charge. What can be made atomic with the
enrolment is: a credit token is consumed (condition `status = available`) and a coupon's use is
counted (condition `uses < max_uses`) in the enrolment's own transaction, so neither is ever
spent twice. A Stripe charge cannot join a DynamoDB transaction: it is made next (`settle`),
with an idempotency key of its own (the new enrolment's id and a nonce), and when the transaction is then refused, its
refund is requested on the durable refund path (`refund`, through
`planhub.payments.request_refund`: an outbox event and a consumer that retries until Stripe
confirms).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from planhub.enrolments.models import PaymentMethod
from planhub.errors import InvalidInput, PaymentDeclined, PaymentRequired
from planhub.observability import logger, metrics
from planhub.payments import PaymentGateway, StripeCharge, request_refund
from planhub.records.coupon import Coupon
from planhub.records.credit_token import CreditTokenStatus
from planhub.records.learning_object import LearningObject
from planhub.records.price import Price
from planhub.storage import Expression, Table, Update, Write
from planhub.storage import keys as table_keys

if TYPE_CHECKING:
    from planhub.enrolments.models import PaymentOptions


# --- what an enrolment costs ----------------------------------------------------------------


def discounted(price: Price, coupon: Coupon | None) -> int:
    """The amount to pay in minor units, the coupon's discount rounded half up to a whole unit."""
    if coupon is None:
        return price.amount
    off = (Decimal(price.amount) * Decimal(str(coupon.discount))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return price.amount - int(off)


def coupon_refusal(coupon: Coupon | None, code: str, portal_id: str, lo_id: str, now: datetime) -> str | None:
    """Why `coupon` cannot be used for `lo_id` in `portal_id`, or None when it can."""
    if coupon is None:
        return f"Coupon {code} does not exist"
    if coupon.portal != portal_id:
        return f"Coupon {code} is not valid in this portal"
    if coupon.lo_ids is not None and lo_id not in coupon.lo_ids:
        return f"Coupon {code} is not valid for learning object {lo_id}"
    if coupon.expires is not None and _aware(coupon.expires) <= now:
        return f"Coupon {code} has expired"
    if coupon.max_uses is not None and coupon.uses >= coupon.max_uses:
        return f"Coupon {code} has been used up"
    return None


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class Payment:
    """How the caller offers to pay for one enrolment (from the request)."""

    method: PaymentMethod | None = None
    coupon: str | None = None
    stripe_token: str | None = None
    stripe_customer: str | None = None
    credit_token: str | None = None

    @classmethod
    def for_single(cls, method: PaymentMethod | None, coupon: str | None, options: PaymentOptions | None) -> Payment:
        if options is not None and options.tokens is not None:
            raise InvalidInput("paymentOptions.tokens: only the many-LO request pays with a map of tokens")
        token = options.token if options else None
        return cls(
            method=method,
            coupon=coupon,
            stripe_token=token if method is PaymentMethod.STRIPE else None,
            stripe_customer=options.customer if options else None,
            credit_token=token if method is PaymentMethod.CREDIT else None,
        )

    @classmethod
    def for_item(
        cls, lo_id: str, method: PaymentMethod | None, coupon: str | None, options: PaymentOptions | None
    ) -> Payment:
        """The many-LO request: Stripe details are shared, a credit token is the one mapped to this LO."""
        if method is PaymentMethod.CREDIT:
            tokens = (options.tokens if options else None) or {}
            if options is not None and options.token and not tokens:
                raise InvalidInput("paymentOptions.tokens: the many-LO request maps each credit token to its LO")
            token = next((t for t, product in tokens.items() if product.productId == lo_id), None)
            return cls(method=method, coupon=coupon, credit_token=token)
        return cls(
            method=method,
            coupon=coupon,
            stripe_token=options.token if options else None,
            stripe_customer=options.customer if options else None,
        )


@dataclass(frozen=True)
class Charge:
    """The Stripe charge an enrolment takes, decided before it is made."""

    amount: int
    currency: str
    customer: str | None
    token: str | None
    description: str
    idempotency_key: str


@dataclass
class Pricing:
    """What paying for one enrolment takes, decided before anything is charged: the writes for
    the enrolment's transaction, the Stripe charge to make, and the created event's summary."""

    writes: dict[str, Write] = field(default_factory=dict)
    charge: Charge | None = None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settlement:
    """A pricing settled: the charge Stripe made (to refund should the enrolment not be written)."""

    charge: StripeCharge | None
    summary: dict[str, Any]


COUPON_WRITE = "coupon"
CREDIT_WRITE = "credit"


def priced(
    payment: Payment,
    *,
    lo: LearningObject,
    portal_id: str,
    user_id: str,
    enrolment_id: int,
    coupon: Coupon | None,
    now: datetime,
) -> Pricing:
    """Decides how `lo` is paid for; charges nothing (`settle` does).

    Free LOs cost nothing (a coupon is then ignored, not counted). A coupon must be valid
    when given; at 100% it pays the whole price. Otherwise a credit token pays the whole
    price (the coupon is not counted then), or Stripe charges the discounted price.
    """
    price = lo.price
    if price is None or price.amount == 0:
        return Pricing()
    pricing = Pricing(summary={"price": price.amount, "currency": price.currency})
    if payment.coupon is not None:
        refusal = coupon_refusal(coupon, payment.coupon, portal_id, lo.id, now)
        if refusal is not None:
            raise PaymentRequired(refusal)
    due = discounted(price, coupon if payment.coupon is not None else None)
    if payment.coupon is not None and (due == 0 or payment.method is not PaymentMethod.CREDIT):
        pricing.writes[COUPON_WRITE] = use_coupon(payment.coupon)
        pricing.summary["coupon"] = payment.coupon
    pricing.summary["amount"] = due
    if due == 0:
        pricing.summary["method"] = "coupon"
        return pricing
    if payment.method is PaymentMethod.CREDIT:
        if not payment.credit_token:
            raise PaymentRequired(f"Learning object {lo.id} is paid: give a credit token for it")
        pricing.writes[CREDIT_WRITE] = consume_credit_token(
            payment.credit_token, portal_id=portal_id, lo_id=lo.id, user_id=user_id, enrolment_id=enrolment_id, now=now
        )
        pricing.summary["method"] = "credit"
        return pricing
    if payment.method is PaymentMethod.STRIPE:
        if not payment.stripe_token and not payment.stripe_customer:
            raise PaymentRequired("Stripe payment needs paymentOptions.token or paymentOptions.customer")
        pricing.charge = Charge(
            amount=due,
            currency=price.currency,
            customer=payment.stripe_customer,
            token=payment.stripe_token,
            description=f"Enrolment {enrolment_id} in learning object {lo.id}",
            # The gateway's retries of this charge reuse the key, so it is charged once. The
            # nonce keeps it this decision's own: two containers may draw the same enrolment
            # id in the same second, and Stripe would answer the second with the first's charge
            # (whose refund would then give back the wrong customer's money).
            idempotency_key=f"enrolment-{enrolment_id}-{secrets.token_hex(8)}",
        )
        return pricing
    raise PaymentRequired(f"Learning object {lo.id} is paid: give a paymentMethod (stripe or credit)")


def settle(gateway: PaymentGateway, pricing: Pricing) -> Settlement:
    """Makes the Stripe charge the pricing decided on, if any: the only call to Stripe of a create."""
    charge = pricing.charge
    if charge is None:
        return Settlement(charge=None, summary=pricing.summary)
    try:
        made = gateway.charge(
            customer_id=charge.customer,
            token=charge.token,
            amount=charge.amount,
            currency=charge.currency,
            description=charge.description,
            idempotency_key=charge.idempotency_key,
        )
    except PaymentDeclined as declined:
        raise PaymentRequired(f"Payment declined: {declined.message}") from declined
    return Settlement(charge=made, summary={**pricing.summary, "method": "stripe", "charge_id": made.id})


def refund(
    table: Table, gateway: PaymentGateway, charge: StripeCharge | None, enrolment_id: int, *, actor: str | None
) -> None:
    """Gives the charge back when the enrolment it paid for was not written: a `refund requested`
    outbox event, refunded by the payments consumer until Stripe confirms.

    Should even that write fail (the table unavailable), the refund is tried at once; failing
    too, it is logged with the `EnrolmentRefundFailed` metric for an alarm. The caller still
    gets the reason the enrolment failed.
    """
    if charge is None:
        return
    key = f"charge-{charge.id}-refund"  # a charge is refunded whole, once
    try:
        table.transact(
            [
                request_refund(
                    charge_id=charge.id,
                    amount=None,
                    currency=charge.currency,
                    idempotency_key=key,
                    subject={"type": "enrolment", "id": enrolment_id},
                    reason="the enrolment it paid for was not written",
                    actor=actor,
                )
            ]
        )
        return
    except Exception:  # noqa: BLE001 - fall back to refunding now
        logger.exception("refund request not written; refunding at once", extra={"charge_id": charge.id})
    try:
        gateway.refund(charge_id=charge.id, amount=None, idempotency_key=key)
    except Exception:  # noqa: BLE001 - the caller must still get the reason the enrolment failed
        # Not re-raised: the request's own error is the answer; the metric's alarm brings people.
        logger.exception("refund failed", extra={"charge_id": charge.id, "enrolment_id": enrolment_id})
        metrics.add_metric(name="EnrolmentRefundFailed", unit=MetricUnit.Count, value=1)


def consume_credit_token(
    token: str, *, portal_id: str, lo_id: str, user_id: str, enrolment_id: int, now: datetime
) -> Update:
    """Marks the token used, only if it is still available and is for this LO in this portal."""
    return Update(
        table_keys.credit_token(token),
        Expression(
            "SET #status = :used, used_by = :user, used_at = :at, enrolment_id = :enrolment",
            names={"#status": "status"},
            values={
                ":used": CreditTokenStatus.USED.value,
                ":user": user_id,
                ":at": now.isoformat().replace("+00:00", "Z"),
                ":enrolment": enrolment_id,
            },
        ),
        Expression(
            "attribute_exists(PK) AND #status = :available AND portal_id = :portal AND lo_id = :lo",
            names={"#status": "status"},
            values={":available": CreditTokenStatus.AVAILABLE.value, ":portal": portal_id, ":lo": lo_id},
        ),
    )


def credit_token_refusal(stored: dict[str, Any] | None, portal_id: str, lo_id: str) -> str:
    """Why the token's condition failed, from the token as it is stored."""
    if stored is None:
        return "The credit token is not valid"
    if stored.get("portal_id") != portal_id or stored.get("lo_id") != lo_id:
        return "The credit token is not for this learning object in this portal"
    return "The credit token has already been used"


def use_coupon(code: str) -> Update:
    """Counts one use, only while the coupon has uses left: max_uses holds under any concurrency."""
    return Update(
        table_keys.coupon(code),
        Expression("SET uses = if_not_exists(uses, :zero) + :one", values={":zero": 0, ":one": 1}),
        Expression("attribute_exists(PK) AND (attribute_not_exists(max_uses) OR uses < max_uses)"),
    )
