"""Subscription plan use cases: create, read, list, update and (soft) delete.

Each request reads what it needs in one BatchGetItem (the caller's company, for the API
key, with the plan or the plan's products), and writes in one transaction: the plan, the
listing items that move, and the domain event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from planhub.auth.claims import Claims
from planhub.errors import ConcurrentModification, Conflict, InvalidInput, NotFound
from planhub.events import DomainEvent, EventType
from planhub.ids import new_object_id
from planhub.settings import TableEnvironment
from planhub.storage import Table, races
from planhub.subscriptions import permissions, pricing, schedule
from planhub.subscriptions.currency import is_exact, minor_units, to_minor
from planhub.subscriptions.listing import Sorting, visible_audiences
from planhub.subscriptions.models import (
    PlanBody,
    PlanDocument,
    PlanItem,
    PlanMethod,
    PlanUpdateBody,
    SubscriptionPlan,
    to_ms_precision,
)
from planhub.subscriptions.recurrence import RecurrenceUnit
from planhub.subscriptions.repository import Page, StaleVersion, SubscriptionPlanRepository

MAX_WRITE_ATTEMPTS = 3  # a change that keeps losing races answers 409


def _now() -> datetime:
    return to_ms_precision(datetime.now(UTC))


class SubscriptionPlanService:
    def __init__(self, table: Table, clock: Callable[[], datetime] = _now) -> None:
        self.repository = SubscriptionPlanRepository(table)
        self.clock = clock

    @classmethod
    def from_environment(cls) -> SubscriptionPlanService:
        return cls(Table(TableEnvironment.load().table_name))

    # --- create ---------------------------------------------------------------------------

    def create(self, claims: Claims, api_key: str | None, body: PlanBody) -> PlanDocument:
        company_id = permissions.membership(claims).id
        permissions.require_may_create(claims, body.method)
        product_ids = list(dict.fromkeys(item.product for item in body.items))
        company, products = self.repository.company_and_products(company_id, product_ids)
        permissions.require_api_key(company, api_key)

        lines = []
        for index, item in enumerate(body.items):
            product = products.get(item.product)
            if product is None or product.company != company_id:
                raise InvalidInput(f"items[{index}].product: there is no product {item.product} in your company")
            if product.currency != body.currency:
                raise InvalidInput(
                    f"items[{index}].product: {item.product} is priced in {product.currency}, "
                    f"the plan in {body.currency}"
                )
            lines.append(
                PlanItem(
                    product_id=item.product,
                    quantity=item.quantity,
                    discount=item.discount,
                    unit_amount=pricing.unit_amount(product.price, body.currency),
                )
            )

        now = self.clock()
        recurring_days = None
        if body.recurring_days is not None:
            recurring_days = schedule.start(
                RecurrenceUnit(body.interval_unit.value), body.timezone, body.recurring_days, now
            )
        plan = SubscriptionPlan(
            id=new_object_id(),
            company_id=company_id,
            method=body.method,
            user_id=claims.sub if body.method is PlanMethod.RECURRING_ORDER else None,
            user_email=claims.email if body.method is PlanMethod.RECURRING_ORDER else None,
            user_name=claims.name if body.method is PlanMethod.RECURRING_ORDER else None,
            name=body.plan_name,
            note=body.note,
            interval_unit=body.interval_unit,
            interval_count=body.interval_count,
            billing_interval=body.billing_interval,
            static=body.is_static,
            items=lines,
            units=body.units if body.units is not None else sum(line.quantity for line in lines),
            currency=body.currency,
            total_amount=pricing.items_total(lines)
            if body.total_amount is None
            else to_minor(body.total_amount, body.currency),
            total_amount_given=body.total_amount is not None,
            discount=body.discount,
            initial_fail_amount_action=body.initial_fail_amount_action,
            max_fail_attempts=body.max_fail_attempts,
            prorate=body.prorate,
            auto_bill_amount=body.auto_bill_amount,
            active=body.active,
            timezone=(body.timezone or schedule.UTC_ZONE) if recurring_days is not None else None,
            recurring_days=recurring_days,
            due_at=schedule.earliest(recurring_days) if recurring_days and body.active else None,
            created=now,
            updated=now,
            version=1,
        )
        event = DomainEvent.of(EventType.SUBSCRIPTION_PLAN_CREATED, _summary(plan), actor=claims.sub)
        self.repository.create(plan, event)
        return PlanDocument.of(plan)

    # --- read -----------------------------------------------------------------------------

    def get(self, claims: Claims, api_key: str | None, plan_id: str) -> PlanDocument:
        return PlanDocument.of(self._visible_plan(claims, api_key, plan_id))

    def list(
        self,
        claims: Claims,
        api_key: str | None,
        *,
        size: int,
        page: int,
        sorting: str,
        include_deleted: bool,
    ) -> list[PlanDocument]:
        company_id = permissions.membership(claims).id
        try:
            order = Sorting.parse(sorting)
        except ValueError as error:
            raise InvalidInput(str(error)) from error
        audiences = visible_audiences(claims.sub, company_admin=permissions.is_company_admin(claims))
        ids = self.repository.plan_ids(
            company_id, audiences, order, Page(offset=(page - 1) * size, size=size), include_deleted=include_deleted
        )
        # The API key is checked on the company read together with the page's plans: a
        # refused caller has cost the index Queries, but nothing of the page is answered.
        company, plans = self.repository.company_and_plans(company_id, ids)
        permissions.require_api_key(company, api_key)
        return [PlanDocument.of(plan) for plan in plans]

    def _visible_plan(self, claims: Claims, api_key: str | None, plan_id: str) -> SubscriptionPlan:
        company_id = permissions.membership(claims).id
        company, plan = self.repository.company_and_plan(company_id, plan_id)
        permissions.require_api_key(company, api_key)
        return _visible(claims, plan, plan_id)

    # --- update and delete -----------------------------------------------------------------

    def update(self, claims: Claims, api_key: str | None, plan_id: str, body: PlanUpdateBody) -> PlanDocument:
        def change(plan: SubscriptionPlan) -> tuple[SubscriptionPlan, DomainEvent]:
            if plan.static:
                raise Conflict("This plan is static: it cannot be updated")
            changed = _updated(plan, body, self.clock())
            data = {**_summary(changed), "changed": sorted(body.model_fields_set)}
            return changed, DomainEvent.of(EventType.SUBSCRIPTION_PLAN_UPDATED, data, actor=claims.sub)

        return PlanDocument.of(self._change(claims, api_key, plan_id, change))

    def delete(self, claims: Claims, api_key: str | None, plan_id: str) -> None:
        def change(plan: SubscriptionPlan) -> tuple[SubscriptionPlan, DomainEvent]:
            now = self.clock()
            deleted = plan.model_copy(
                update={"deleted": True, "due_at": None, "updated": now, "version": plan.version + 1}
            )
            return deleted, DomainEvent.of(EventType.SUBSCRIPTION_PLAN_DELETED, _summary(deleted), actor=claims.sub)

        self._change(claims, api_key, plan_id, change)

    def _change(
        self,
        claims: Claims,
        api_key: str | None,
        plan_id: str,
        change: Callable[[SubscriptionPlan], tuple[SubscriptionPlan, DomainEvent]],
    ) -> SubscriptionPlan:
        """Applies `change` to the plan as stored, again on the fresh plan if it lost a race."""
        plan = self._visible_plan(claims, api_key, plan_id)
        for attempt in races.attempts(MAX_WRITE_ATTEMPTS):
            permissions.require_may_change(claims, plan)
            changed, event = change(plan)
            try:
                self.repository.replace(plan, changed, event)
            except StaleVersion as stale:
                attempt.lost("plan changed meanwhile; changing it again", stale, plan_id=plan_id)
                current = stale.current or self.repository.company_and_plan(plan.company_id, plan_id)[1]
                plan = _visible(claims, current, plan_id)
                continue
            return changed
        raise ConcurrentModification("The plan changed while it was being updated; try again")


def _visible(claims: Claims, plan: SubscriptionPlan | None, plan_id: str) -> SubscriptionPlan:
    """Another company's plan, another user's order plan and a deleted plan are not found."""
    if plan is None or plan.deleted or not permissions.may_see(claims, plan):
        raise NotFound(f"Plan {plan_id} not found")
    return plan


def _updated(plan: SubscriptionPlan, body: PlanUpdateBody, now: datetime) -> SubscriptionPlan:
    given = body.model_fields_set
    update: dict[str, Any] = {name: getattr(body, name) for name in given - {"total_amount"}}
    if "total_amount" in given:
        if body.total_amount is None:
            if not plan.items:
                raise InvalidInput("total_amount: the plan has no items to sum; give the amount")
            update["total_amount"] = pricing.items_total(plan.items)
            update["total_amount_given"] = False
        elif not is_exact(body.total_amount, plan.currency):
            raise InvalidInput(f"total_amount: {plan.currency} counts at most {minor_units(plan.currency)} decimals")
        else:
            update["total_amount"] = to_minor(body.total_amount, plan.currency)
            update["total_amount_given"] = True
    if plan.is_recurring and "active" in given:
        if body.active and not plan.active:
            days = schedule.resumed(plan, now)
            update["recurring_days"] = days
            update["due_at"] = schedule.earliest(days)
        elif not body.active:
            update["due_at"] = None
    update["updated"] = now
    update["version"] = plan.version + 1
    return plan.model_copy(update=update)


def _summary(plan: SubscriptionPlan) -> dict[str, Any]:
    """What the plan's events carry: enough to act on without reading the plan."""
    return {
        "plan_id": plan.id,
        "company_id": plan.company_id,
        "method": plan.method.value,
        "user_id": plan.user_id,
        "name": plan.name,
        "currency": plan.currency,
        "total_amount": plan.total_amount,
        "amount_per_interval": plan.amount_per_interval,
        "active": plan.active,
        "deleted": plan.deleted,
    }
