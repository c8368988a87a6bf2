"""Subscription use cases: create, start, update, stop, read and list.

Each request reads what it needs in one BatchGetItem (the caller's company, for the API
key, with the subscription or the plan), and writes one transaction: the subscription, its
listing items that move, the payment method's `in_use_by`, and the domain event. A
subscription that starts (or is stopped at once) is then handed to the biller, which
bills a begun period exactly as the scheduled run would (the same conditional writes).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from planhub.auth.claims import Claims
from planhub.billing import lifecycle, permissions
from planhub.billing.models import (
    FailAction,
    StartBody,
    StopBody,
    Subscription,
    SubscriptionBody,
    SubscriptionDocument,
    SubscriptionStatus,
    UpdateBody,
    to_ms_precision,
)
from planhub.billing.periods import End, Interval
from planhub.billing.plans import PaymentMethodRef
from planhub.billing.repository import (
    ALL_AUDIENCE,
    BillingRepository,
    Page,
    StaleVersion,
    WriteRefused,
    status_prefixes,
    user_audience,
)
from planhub.errors import ConcurrentModification, Conflict, InvalidInput, NotFound
from planhub.events import DomainEvent, EventType
from planhub.ids import new_object_id
from planhub.payments import methods
from planhub.settings import TableEnvironment
from planhub.storage import Table, Write, races

MAX_WRITE_ATTEMPTS = 3
SORTS = {"created": False, "-created": True}


def _now() -> datetime:
    return to_ms_precision(datetime.now(UTC))


class Settles(Protocol):
    def settle(self, subscription_id: str, now: datetime) -> object: ...


class DefaultMethods(Protocol):
    def default_method_id(self, company_id: str, user_id: str) -> str | None: ...


Change = Callable[[Subscription], tuple[Subscription, list[Write], list[DomainEvent]]]


class DefaultMethodLookup:
    """A user's default payment method: their newest live one (payments keeps the index)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def default_method_id(self, company_id: str, user_id: str) -> str | None:
        found = methods.default_method(self.table, company_id, user_id)
        return found.id if found else None


class SubscriptionService:
    def __init__(
        self,
        table: Table,
        clock: Callable[[], datetime] = _now,
        *,
        biller: Settles | None = None,
        default_methods: DefaultMethods | None = None,
    ) -> None:
        self.repository = BillingRepository(table)
        self.clock = clock
        self.biller = biller
        self.default_methods = default_methods

    @classmethod
    def from_environment(cls, *, bills: bool = False) -> SubscriptionService:
        """`bills`: the routes that start a subscription bill its first period at once (they
        have the Stripe settings); the others only read and write the subscription."""
        table = Table(TableEnvironment.load().table_name)
        biller = None
        if bills:
            from planhub.billing.run import Biller

            biller = Biller.from_environment()
        return cls(table, biller=biller, default_methods=DefaultMethodLookup(table))

    # --- create and start ---------------------------------------------------------------

    def create(self, claims: Claims, api_key: str | None, body: SubscriptionBody) -> SubscriptionDocument:
        company_id = permissions.membership(claims).id
        company, _, plan = self.repository.company_with(company_id, plan_id=body.plan)
        permissions.require_api_key(company, api_key)
        if plan is None or plan.company_id != company_id or plan.deleted or not plan.is_basic:
            raise InvalidInput(f"plan: there is no basic plan {body.plan} in your company")
        if not plan.active:
            raise InvalidInput(f"plan: plan {body.plan} is not active")
        now = self.clock()
        subscription = Subscription(
            id=new_object_id(),
            company_id=company_id,
            user_id=claims.sub,
            email=claims.email,
            name=claims.name,
            plan_id=plan.id,
            method=body.method,
            note=body.note,
            prorate=plan.prorate if body.prorate is None else body.prorate,
            amount=plan.amount_per_interval,
            currency=plan.currency,
            billing_interval=Interval(plan.billing_interval),
            fail_action=FailAction(plan.initial_fail_amount_action),
            max_fail_attempts=plan.max_fail_attempts,
            payment_method_id=body.payment_method,
            starting_date=body.starting_date,
            infinite=bool(body.infinite),
            ending_date=None if body.infinite else body.ending_date,
            interval_total=None if body.infinite or body.ending_date else body.interval_total,
            created=now,
            modified=now,
        )
        extra: list[Write] = []
        outbox = [lifecycle.event(EventType.SUBSCRIPTION_CREATED, subscription, claims.sub)]
        if body.start_now:
            method = self._method(subscription, body.payment_method)
            subscription = lifecycle.started(
                subscription, method, starting_date=body.starting_date, end=subscription.end, now=now
            ).model_copy(update={"version": 1})
            extra.append(lifecycle.uses(method.id, subscription))
            outbox.append(lifecycle.event(EventType.SUBSCRIPTION_STARTED, subscription, claims.sub))
        try:
            self.repository.create(subscription, *extra, outbox=outbox)
        except WriteRefused as refused:
            raise InvalidInput("payment_method: it was deleted meanwhile") from refused
        return self._after_change(subscription, now, claims.sub)

    def start(self, claims: Claims, api_key: str | None, subscription_id: str, body: StartBody) -> SubscriptionDocument:
        now = self.clock()

        def change(s: Subscription) -> tuple[Subscription, list[Write], list[DomainEvent]]:
            method = self._method(s, body.payment_method)
            end = End.chosen(infinite=body.infinite, ending_date=body.ending_date, interval_total=body.interval_total)
            changed = lifecycle.started(s, method, starting_date=body.starting_date, end=end, now=now)
            event = lifecycle.event(EventType.SUBSCRIPTION_STARTED, changed, claims.sub)
            return changed, [lifecycle.uses(method.id, changed)], [event]

        return self._after_change(self._change(claims, api_key, subscription_id, change), now, claims.sub)

    def _method(self, subscription: Subscription, given: str | None) -> PaymentMethodRef:
        method_id = given or subscription.payment_method_id
        if method_id is None and self.default_methods is not None:
            method_id = self.default_methods.default_method_id(subscription.company_id, subscription.user_id)
        if method_id is None:
            raise InvalidInput("payment_method: required (the subscriber has no payment method)")
        method = self.repository.payment_method(method_id)
        if method is None or method.deleted or method.user_id != subscription.user_id:
            raise InvalidInput(f"payment_method: the subscriber has no payment method {method_id}")
        return method

    # --- update and stop -----------------------------------------------------------------

    def update(
        self, claims: Claims, api_key: str | None, subscription_id: str, body: UpdateBody
    ) -> SubscriptionDocument:
        given = body.model_fields_set
        if not given:
            raise InvalidInput("nothing to update: send note, payment_method, or one end rule")
        end = End.chosen(infinite=body.infinite, ending_date=body.ending_date, interval_total=body.interval_total)
        now = self.clock()

        def change(s: Subscription) -> tuple[Subscription, list[Write], list[DomainEvent]]:
            if s.status is SubscriptionStatus.CANCELLED:
                raise Conflict("This subscription is CANCELLED")
            changes: dict[str, Any] = {}
            writes: list[Write] = []
            if body.note is not None:
                changes["note"] = body.note
            if body.payment_method is not None and body.payment_method != s.payment_method_id:
                method = self._method(s, body.payment_method)
                changes["payment_method_id"] = method.id
                changes["customer_id"] = method.customer_id
                if s.status is not SubscriptionStatus.CREATED:
                    writes.append(lifecycle.uses(method.id, s))
                    if s.payment_method_id:
                        writes.append(lifecycle.releases(s.payment_method_id, s))
            if end is not None:
                changes.update(lifecycle.with_end(s, end, now))
            changed = lifecycle.bumped(s, now, **changes)
            data = {"changed": sorted(given)}
            return changed, writes, [lifecycle.event(EventType.SUBSCRIPTION_UPDATED, changed, claims.sub, **data)]

        return self._after_change(self._change(claims, api_key, subscription_id, change), now, claims.sub)

    def stop(self, claims: Claims, api_key: str | None, subscription_id: str, body: StopBody) -> SubscriptionDocument:
        now = self.clock()

        def change(s: Subscription) -> tuple[Subscription, list[Write], list[DomainEvent]]:
            if s.status in (SubscriptionStatus.CREATED, SubscriptionStatus.FUTURE):
                changed, writes = lifecycle.cancelled(s, now, "stopped")
                event = lifecycle.email_event(EventType.SUBSCRIPTION_CANCELLED, changed, claims.sub, reason="stopped")
                return changed, writes, [event]
            changed = lifecycle.stopped(s, body.ending_date, now)
            return changed, [], [lifecycle.event(EventType.SUBSCRIPTION_STOPPED, changed, claims.sub)]

        return self._after_change(self._change(claims, api_key, subscription_id, change), now, claims.sub)

    def _after_change(self, subscription: Subscription, now: datetime, viewer: str) -> SubscriptionDocument:
        """Bills what has begun at once (the first period at start), as the run would."""
        if self.biller is not None and subscription.due_at is not None and subscription.due_at <= now:
            self.biller.settle(subscription.id, now)
            subscription = self.repository.subscription(subscription.id) or subscription
        return SubscriptionDocument.of(subscription, now, viewer)

    def _change(self, claims: Claims, api_key: str | None, subscription_id: str, change: Change) -> Subscription:
        subscription = self._visible(claims, api_key, subscription_id)
        for attempt in races.attempts(MAX_WRITE_ATTEMPTS):
            changed, writes, outbox = change(subscription)
            try:
                self.repository.replace(subscription, changed, *writes, outbox=outbox)
            except StaleVersion as stale:
                attempt.lost(
                    "subscription changed meanwhile; changing it again", stale, subscription_id=subscription_id
                )
                current = stale.current or self.repository.subscription(subscription_id)
                subscription = _visible(claims, current, subscription_id)
                continue
            except WriteRefused as refused:
                raise InvalidInput("payment_method: it was deleted meanwhile") from refused
            return changed
        raise ConcurrentModification("The subscription changed while it was being updated; try again")

    # --- read ------------------------------------------------------------------------------

    def get(self, claims: Claims, api_key: str | None, subscription_id: str) -> SubscriptionDocument:
        return SubscriptionDocument.of(self._visible(claims, api_key, subscription_id), self.clock(), claims.sub)

    def _visible(self, claims: Claims, api_key: str | None, subscription_id: str) -> Subscription:
        company_id = permissions.membership(claims).id
        company, subscription, _ = self.repository.company_with(company_id, subscription_id=subscription_id)
        permissions.require_api_key(company, api_key)
        return _visible(claims, subscription, subscription_id)

    def list(
        self,
        claims: Claims,
        api_key: str | None,
        *,
        user_id: str | None,
        status: SubscriptionStatus | None,
        include_deleted: bool,
        size: int,
        page: int,
        sort: str,
    ) -> list[SubscriptionDocument]:
        """A company admin: all of the company's (or one user's); anyone else: their own."""
        company_id = permissions.membership(claims).id
        if sort not in SORTS:
            raise InvalidInput("sort: created, or -created for newest first")
        admin = permissions.is_company_admin(claims)
        if user_id is not None and user_id != claims.sub and not admin:
            raise NotFound(f"User {user_id} not found")
        audience = user_audience(user_id) if user_id else (ALL_AUDIENCE if admin else user_audience(claims.sub))
        offset = (max(page, 1) - 1) * size
        ids = self.repository.subscription_ids(
            company_id,
            audience,
            status_prefixes(status, include_deleted=include_deleted),
            Page(offset=offset, size=size),
            descending=SORTS[sort],
        )
        company, _, _ = self.repository.company_with(company_id)
        permissions.require_api_key(company, api_key)
        now = self.clock()
        return [SubscriptionDocument.of(s, now, claims.sub) for s in self.repository.subscriptions(ids)]


def _visible(claims: Claims, subscription: Subscription | None, subscription_id: str) -> Subscription:
    if (
        subscription is None
        or subscription.deleted
        or not permissions.may_see(claims, subscription.company_id, subscription.user_id)
    ):
        raise NotFound(f"Subscription {subscription_id} not found")
    return subscription
