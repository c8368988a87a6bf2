"""The subscription lifecycle: CREATED -> ACTIVE / FUTURE -> NON_RENEWING -> CANCELLED.

Each transition is a pure function of the subscription as read and the moment; it answers
the subscription as it becomes, the writes that go with it (the payment method's
`in_use_by` set), and the domain events. Requests and the billing run both use them, so a
subscription ends the same way whoever ends it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from planhub.billing.models import LIVE_STATUSES, Subscription, SubscriptionStatus, iso_ms, major
from planhub.billing.periods import End, prorate_amount
from planhub.billing.plans import PaymentMethodRef
from planhub.errors import Conflict, InvalidInput
from planhub.events import DomainEvent, EventType
from planhub.payments import methods
from planhub.storage import Update, Write


def uses(payment_method_id: str, subscription: Subscription) -> Update:
    """The payment method records the subscription paying with it (it cannot be deleted meanwhile)."""
    return methods.use(payment_method_id, subscription.id)


def releases(payment_method_id: str, subscription: Subscription) -> Update:
    return methods.release(payment_method_id, subscription.id)


def recipient(subscription: Subscription) -> dict[str, Any]:
    return {"user_id": subscription.user_id, "email": subscription.email, "name": subscription.name or "there"}


def summary(subscription: Subscription) -> dict[str, Any]:
    """What a subscription's events carry."""
    return {
        "subscription_id": subscription.id,
        "subject_display": f"subscription {subscription.id}",
        "company_id": subscription.company_id,
        "user_id": subscription.user_id,
        "plan_id": subscription.plan_id,
        "status": subscription.status.value,
        "amount": subscription.amount,
        "currency": subscription.currency,
        "amount_display": f"{major(subscription.amount, subscription.currency)} {subscription.currency}",
    }


def event(kind: EventType, subscription: Subscription, actor: str | None, **data: Any) -> DomainEvent:
    return DomainEvent.of(kind, {**summary(subscription), **data}, actor=actor)


def email_event(kind: EventType, subscription: Subscription, actor: str | None, **data: Any) -> DomainEvent:
    """An event that sends the subscriber an email (when their address is known)."""
    return event(kind, subscription, actor, recipient=recipient(subscription), notify=bool(subscription.email), **data)


def bumped(subscription: Subscription, now: datetime, **changes: Any) -> Subscription:
    changed = subscription.model_copy(update={**changes, "modified": now, "version": subscription.version + 1})
    return changed.with_due()


def started(
    subscription: Subscription,
    method: PaymentMethodRef,
    *,
    starting_date: datetime | None,
    end: End | None,
    now: datetime,
) -> Subscription:
    if subscription.status is not SubscriptionStatus.CREATED:
        raise Conflict(f"This subscription is {subscription.status.value}: only a CREATED one can be started")
    start = starting_date or subscription.starting_date or now
    if start < now and (now - start).total_seconds() > 86_400:
        raise InvalidInput("starting_date: at most a day in the past")
    end = end or subscription.end
    if end is not None and end.ending_date is not None and end.ending_date <= start:
        raise InvalidInput("ending_date: must be after starting_date")
    return bumped(
        subscription,
        now,
        status=SubscriptionStatus.FUTURE if start > now else SubscriptionStatus.ACTIVE,
        starting_date=start,
        payment_method_id=method.id,
        customer_id=method.customer_id,
        **_end_fields(end),
    )


def _end_fields(end: End | None) -> dict[str, Any]:
    return {
        "infinite": end is not None and end.rule.value == "infinite",
        "ending_date": end.ending_date if end else None,
        "interval_total": end.interval_total if end else None,
    }


def with_end(subscription: Subscription, end: End, now: datetime) -> dict[str, Any]:
    """The end rule an update sets; refused when it would end a period already begun or billed."""
    if subscription.stop_date is not None:
        raise Conflict("This subscription is stopped: its end is the stop's ending_date")
    if subscription.starting_date is not None:
        probe = subscription.model_copy(update=_end_fields(end))
        end_at = probe.end_at()
        if end_at is not None and end_at < max(now, subscription.start_of(max(subscription.next_period - 1, 0))):
            raise InvalidInput("ending_date: the new end is before periods already billed")
    return _end_fields(end)


def stopped(subscription: Subscription, ending_date: datetime | None, now: datetime) -> Subscription:
    """NON_RENEWING until `ending_date` (default now), within the current period; with prorate
    the unused share of that period is refunded at the period's end."""
    if subscription.status is SubscriptionStatus.CANCELLED:
        raise Conflict("This subscription is already CANCELLED")
    if subscription.status is SubscriptionStatus.NON_RENEWING:
        raise Conflict("This subscription is already stopped (NON_RENEWING)")
    stop = ending_date or now
    if stop < now:
        raise InvalidInput("ending_date: must not be in the past")
    if subscription.status is not SubscriptionStatus.ACTIVE or subscription.starting_date is None:
        raise Conflict("Only an ACTIVE subscription runs out its period; this one is cancelled at once")
    current = subscription.period_at(now)
    period_end = subscription.end_of(current)
    if stop > period_end:
        raise InvalidInput(
            f"ending_date: a stop ends the subscription within its current period (by {iso_ms(period_end)}); "
            "to end it later, update its ending_date"
        )
    end_at = subscription.end_at()
    if end_at is not None and stop >= end_at:
        raise InvalidInput("ending_date: the subscription already ends by then")
    changes: dict[str, Any] = {"status": SubscriptionStatus.NON_RENEWING, "stop_date": stop}
    if subscription.prorate and current < subscription.next_period:
        period_start = subscription.start_of(current)
        changes["prorate_amount"] = prorate_amount(subscription.amount, period_start, period_end, stop)
        changes["refund_period"] = current
        changes["refund_at"] = period_end
    return bumped(subscription, now, **changes)


def cancelled(subscription: Subscription, now: datetime, reason: str) -> tuple[Subscription, list[Write]]:
    """CANCELLED now; the payment method no longer pays for it."""
    if subscription.status is SubscriptionStatus.CANCELLED:
        raise Conflict("This subscription is already CANCELLED")
    changed = bumped(subscription, now, status=SubscriptionStatus.CANCELLED, cancelled_at=now, cancel_reason=reason)
    writes: list[Write] = []
    if subscription.payment_method_id and subscription.status in LIVE_STATUSES:
        writes.append(releases(subscription.payment_method_id, subscription))
    return changed, writes
