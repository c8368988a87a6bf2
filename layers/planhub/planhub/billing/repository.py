"""Storing and finding subscriptions, invoices and payments. GetItem, BatchGetItem, Query and
transactions only.

A subscription's item carries a `version`; every change is one transaction whose write of
the subscription requires the version read, with the listing items that move, the writes
the change brings along (an invoice, a payment, the payment method's `in_use_by`) and its
domain events. A change that lost a race gets `StaleVersion` with the subscription as it
now stands.

Listing items: a subscription is in its company's `all` list and its user's `user#<id>`
list, under the sort key `<L|D>#<status>#<created ms>#<id>`, so "the ACTIVE ones, newest
first" is one key range read by a Query (no filter), and a status change moves two items in
the same transaction.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from planhub import events
from planhub.billing.models import (
    Invoice,
    Order,
    OrderStatus,
    Payment,
    Subscription,
    SubscriptionStatus,
    iso_ms,
)
from planhub.billing.plans import PaymentMethodRef, PlanTerms
from planhub.events import DomainEvent
from planhub.extended_json import epoch_ms
from planhub.records.company import Company
from planhub.storage import Delete, Expression, Put, Table, TransactionCanceled, Write, not_exists
from planhub.storage import keys as table_keys

LISTING_ENTITY = "subscription_listing"
ALL_AUDIENCE = "all"


def user_audience(user_id: str) -> str:
    return f"user#{user_id}"


class StaleVersion(Exception):
    """The subscription changed since it was read; `current` is how it stands now."""

    def __init__(self, current: Subscription | None) -> None:
        super().__init__("the subscription changed since it was read")
        self.current = current


class WriteRefused(Exception):
    """A write other than the subscription's own was refused (index `index` of the extras)."""

    def __init__(self, index: int, item: dict[str, Any] | None) -> None:
        super().__init__(f"write {index} was refused")
        self.index = index
        self.item = item


@dataclass(frozen=True)
class Page:
    offset: int
    size: int


def listing_items(subscription: Subscription) -> list[dict[str, Any]]:
    state = "D" if subscription.deleted else "L"
    sort_key = f"{state}#{subscription.status.value}#{epoch_ms(subscription.created):015d}#{subscription.id}"
    return [
        {**table_keys.subscription_listing(subscription.company_id, audience, sort_key), "entity": LISTING_ENTITY}
        for audience in (ALL_AUDIENCE, user_audience(subscription.user_id))
    ]


class BillingRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- reads ----------------------------------------------------------------------------

    def company_with(
        self, company_id: str, *, subscription_id: str | None = None, plan_id: str | None = None
    ) -> tuple[Company | None, Subscription | None, PlanTerms | None]:
        """One BatchGetItem: the caller's company (for the API key) with a subscription and/or a plan."""
        wanted = [table_keys.company(company_id)]
        if subscription_id is not None:
            wanted.append(table_keys.subscription(subscription_id))
        if plan_id is not None:
            wanted.append(table_keys.subscription_plan(plan_id))
        found = self.table.get_many(wanted, consistent=True)
        by_entity = {item["entity"]: item for item in found}
        company = Company.from_item(by_entity["company"]) if "company" in by_entity else None
        subscription = (
            Subscription.from_item(by_entity[Subscription.entity_type])
            if Subscription.entity_type in by_entity
            else None
        )
        plan = PlanTerms.from_item(by_entity["subscription_plan"]) if "subscription_plan" in by_entity else None
        return company, subscription, plan

    def company_and(self, company_id: str, key: table_keys.Key) -> tuple[Company | None, dict[str, Any] | None]:
        """One BatchGetItem: the caller's company and any one item (an invoice, a payment, an order)."""
        found = self.table.found([table_keys.company(company_id), key], consistent=True)
        company_item = found.get(table_keys.company(company_id))
        return (Company.from_item(company_item) if company_item else None), found.get(key)

    def subscription(self, subscription_id: str) -> Subscription | None:
        item = self.table.get(table_keys.subscription(subscription_id), consistent=True)
        return Subscription.from_item(item) if item else None

    def payment_method(self, payment_method_id: str) -> PaymentMethodRef | None:
        item = self.table.get(PaymentMethodRef.key_of(payment_method_id), consistent=True)
        return PaymentMethodRef.from_item(item) if item else None

    def subscription_ids(
        self, company_id: str, audience: str, statuses: Sequence[str], page: Page, *, descending: bool
    ) -> list[str]:
        """One page of a list, merged over the statuses' ranges (each read up to offset + size keys)."""
        wanted = page.offset + page.size
        pk = table_keys.subscription_listing_pk(company_id, audience)
        ranges = [self.table.first_sort_keys(pk, f"{status}#", wanted, descending=descending) for status in statuses]
        merged = heapq.merge(*ranges, key=lambda sk: sk.split("#", 2)[2], reverse=descending)
        return [sk.rsplit("#", 1)[1] for sk in islice(merged, page.offset, wanted)]

    def subscriptions(self, ids: Sequence[str]) -> list[Subscription]:
        found = self.table.get_many([table_keys.subscription(i) for i in ids], consistent=True)
        by_id = {s.id: s for s in (Subscription.from_item(i) for i in found)}
        return [by_id[i] for i in ids if i in by_id]

    def due_subscriptions(self, shard: int, now: datetime, limit: int) -> list[Subscription]:
        answer = self.table.query(
            table_keys.billing_due_index(shard),
            index="GSI2",
            sk_between=("0", table_keys.due_order(iso_ms(now), "~")),
            limit=limit,
        )
        return [Subscription.from_item(i) for i in answer.items]

    def due_payments(self, shard: int, now: datetime, limit: int) -> list[Payment]:
        answer = self.table.query(
            table_keys.payment_due_index(shard),
            index="GSI2",
            sk_between=("0", table_keys.due_order(iso_ms(now), "~")),
            limit=limit,
        )
        return [Payment.from_item(i) for i in answer.items]

    def orders_to_bill(self, shard: int, now: datetime, limit: int) -> list[Order]:
        """Periodic orders not yet invoiced whose period ended by `now`, by period end and plan."""
        answer = self.table.query(
            table_keys.orders_to_bill_index(shard),
            index="GSI2",
            sk_between=("0", table_keys.due_order(iso_ms(now), "~")),
            limit=limit,
        )
        return [Order.from_item(i) for i in answer.items]

    def awaiting_orders(self, company_id: str, user_id: str) -> Iterator[Order]:
        """A user's orders left `awaiting_payment` (no payment method then): their GSI1
        partition, filtered, page by page (a Query, no Scan; the partition is theirs alone)."""
        awaiting = Expression(
            "#status = :awaiting", names={"#status": "status"}, values={":awaiting": OrderStatus.AWAITING_PAYMENT.value}
        )
        for item in self.table.query_all(
            table_keys.user_orders_index(company_id, user_id), index="GSI1", limit=200, filter_=awaiting
        ):
            yield Order.from_item(item)

    def invoice(self, invoice_id: str) -> Invoice | None:
        item = self.table.get(table_keys.invoice(invoice_id), consistent=True)
        return Invoice.from_item(item) if item else None

    def payment(self, payment_id: str) -> Payment | None:
        item = self.table.get(table_keys.payment(payment_id), consistent=True)
        return Payment.from_item(item) if item else None

    def user_items(
        self, index_pk: str, *, limit: int, offset: int, descending: bool, filter_: Expression | None = None
    ) -> list[dict[str, Any]]:
        """Items of one user's GSI1 partition (invoices, payments, orders), a page cut from the start."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while len(found) < offset + limit:
            answer = self.table.query(
                index_pk, index="GSI1", limit=200, cursor=cursor, newest_first=descending, filter_=filter_
            )
            found.extend(answer.items)
            if answer.cursor is None:
                break
            cursor = answer.cursor
        return found[offset : offset + limit]

    # --- writes ---------------------------------------------------------------------------

    def create(self, subscription: Subscription, *extra: Write, outbox: Sequence[DomainEvent] = ()) -> None:
        writes: list[Write] = [
            Put(subscription.to_item(), not_exists()),
            *(Put(item) for item in listing_items(subscription)),
            *extra,
            *(events.record(e) for e in outbox),
        ]
        try:
            self.table.transact(writes)
        except TransactionCanceled as canceled:
            self._explain(canceled, first_extra=1 + 2)
            raise

    def replace(
        self, read: Subscription, changed: Subscription, *extra: Write, outbox: Sequence[DomainEvent] = ()
    ) -> None:
        """Writes `changed` over `read` (whose version it must still have), moving the listing
        items whose place changed, with `extra` writes and `outbox`'s events.

        Raises StaleVersion (the subscription changed), WriteRefused (an extra's condition)."""
        assert changed.version == read.version + 1
        before = {(i["PK"], i["SK"]): i for i in listing_items(read)}
        after = {(i["PK"], i["SK"]): i for i in listing_items(changed)}
        moves: list[Write] = [
            *(Delete({"PK": pk, "SK": sk}) for pk, sk in before.keys() - after.keys()),
            *(Put(after[k]) for k in after.keys() - before.keys()),
        ]
        writes: list[Write] = [
            Put(
                changed.to_item(),
                Expression("attribute_exists(PK) AND version = :read", values={":read": read.version}),
            ),
            *moves,
            *extra,
            *(events.record(e) for e in outbox),
        ]
        try:
            self.table.transact(writes)
        except TransactionCanceled as canceled:
            if 0 in canceled.failed_conditions():
                stored = canceled.reasons[0].item if canceled.reasons else None
                raise StaleVersion(Subscription.from_item(stored) if stored else None) from canceled
            self._explain(canceled, first_extra=1 + len(moves))
            if canceled.is_conflict:
                raise StaleVersion(None) from canceled
            raise

    @staticmethod
    def _explain(canceled: TransactionCanceled, *, first_extra: int) -> None:
        for index in canceled.failed_conditions():
            if index >= first_extra:
                raise WriteRefused(index - first_extra, canceled.reasons[index].item) from canceled

    def transact(self, writes: Sequence[Write]) -> None:
        self.table.transact(writes)

    def bulk_load(self, subscriptions: Sequence[Subscription]) -> None:
        """Subscriptions and their listing items in batches, without events: fixtures and benchmarks."""
        puts: list[dict[str, Any]] = []
        for subscription in subscriptions:
            puts.append(subscription.to_item())
            puts.extend(listing_items(subscription))
        self.table.write_many(puts=puts)


def status_prefixes(status: SubscriptionStatus | None, *, include_deleted: bool) -> list[str]:
    statuses = [status.value] if status else [s.value for s in SubscriptionStatus]
    states = ["L", "D"] if include_deleted else ["L"]
    return [f"{state}#{s}" for state in states for s in statuses]
