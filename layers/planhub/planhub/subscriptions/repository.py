"""Storing and finding subscription plans. GetItem, BatchGetItem, Query and transactions only.

A plan's item carries a `version`; every change to it is a transaction whose plan write
holds the condition `version = <what was read>` and bumps it, together with the listing
items that move and the domain events it causes. A change that lost a race gets back
`StaleVersion` with the plan as it now stands (from the failed condition, no extra read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from planhub import events
from planhub.events import DomainEvent
from planhub.records.company import Company, Product
from planhub.storage import Delete, Expression, Put, Table, TransactionCanceled, Write, not_exists
from planhub.storage import keys as table_keys
from planhub.subscriptions import listing
from planhub.subscriptions.listing import Sorting
from planhub.subscriptions.models import SubscriptionPlan, iso_ms


class StaleVersion(Exception):
    """The plan changed since it was read; `current` is how it stands now (None: gone)."""

    def __init__(self, current: SubscriptionPlan | None) -> None:
        super().__init__("the plan changed since it was read")
        self.current = current


@dataclass(frozen=True)
class Page:
    offset: int
    size: int


class SubscriptionPlanRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- reads --------------------------------------------------------------------------

    def company_and_plan(self, company_id: str, plan_id: str) -> tuple[Company | None, SubscriptionPlan | None]:
        """One BatchGetItem: the caller's company (for the API key) and the plan."""
        found = self.table.get_many(
            [table_keys.company(company_id), table_keys.subscription_plan(plan_id)], consistent=True
        )
        company = next((Company.from_item(i) for i in found if i["entity"] == "company"), None)
        plan = next((SubscriptionPlan.from_item(i) for i in found if i["entity"] == SubscriptionPlan.entity_type), None)
        return company, plan

    def company_and_products(
        self, company_id: str, product_ids: Sequence[str]
    ) -> tuple[Company | None, dict[str, Product]]:
        """One BatchGetItem (two past 99 products): the company and the plan's products."""
        found = self.table.get_many(
            [table_keys.company(company_id), *(table_keys.product(p) for p in product_ids)], consistent=True
        )
        company = next((Company.from_item(i) for i in found if i["entity"] == "company"), None)
        products = {i["id"]: Product.from_item(i) for i in found if i["entity"] == "product"}
        return company, products

    def plan_ids(
        self, company_id: str, audiences: Sequence[str], sorting: Sorting, page: Page, *, include_deleted: bool
    ) -> list[str]:
        """The ids of one page of the merged lists, in order.

        DynamoDB cannot skip to an offset: each list range is read from its start up to
        offset + size keys (small items, about 100 bytes each, so 10,000 keys are two Query
        calls of 1 MB), merged, and the page cut out of the merge.
        """
        wanted = page.offset + page.size
        ranges = [
            self.table.first_sort_keys(
                table_keys.subscription_plan_listing_pk(company_id, audience, sorting.field.value),
                f"{state}#",
                wanted,
                descending=sorting.descending,
            )
            for audience in audiences
            for state in listing.states(include_deleted=include_deleted)
        ]
        chosen = islice(listing.merged(ranges, descending=sorting.descending), page.offset, wanted)
        return [listing.plan_id_of(sort_key) for sort_key in chosen]

    def plan(self, plan_id: str) -> SubscriptionPlan | None:
        item = self.table.get(table_keys.subscription_plan(plan_id), consistent=True)
        return SubscriptionPlan.from_item(item) if item else None

    def company_and_plans(
        self, company_id: str, plan_ids: Sequence[str]
    ) -> tuple[Company | None, list[SubscriptionPlan]]:
        """One BatchGetItem (two past 99 plans): the caller's company (for the API key) and
        the plans, in the order of `plan_ids` (BatchGetItem does not keep it)."""
        keys = [table_keys.company(company_id), *(table_keys.subscription_plan(p) for p in plan_ids)]
        found = self.table.get_many(keys, consistent=True)
        company = next((Company.from_item(i) for i in found if i["entity"] == "company"), None)
        plans = (SubscriptionPlan.from_item(i) for i in found if i["entity"] == SubscriptionPlan.entity_type)
        by_id = {p.id: p for p in plans}
        return company, [by_id[p] for p in plan_ids if p in by_id]

    def due_plans(self, shard: int, now: datetime, limit: int) -> list[SubscriptionPlan]:
        """Recurring order plans of one index partition whose next order is due at `now`."""
        answer = self.table.query(
            table_keys.order_due_index(shard),
            index="GSI2",
            sk_between=("0", table_keys.order_due_order(iso_ms(now), "~")),
            limit=limit,
        )
        return [SubscriptionPlan.from_item(i) for i in answer.items]

    # --- writes -------------------------------------------------------------------------

    def create(self, plan: SubscriptionPlan, event: DomainEvent) -> None:
        writes: list[Write] = [
            Put(plan.to_item(), not_exists()),
            *(Put(item) for item in listing.listing_items(plan)),
            events.record(event),
        ]
        self.table.transact(writes)

    def replace(self, read: SubscriptionPlan, changed: SubscriptionPlan, *outbox: DomainEvent) -> None:
        """Writes `changed` over `read` (whose version it must still have), moving the listing
        items whose place changed, with `outbox`'s events. Raises StaleVersion."""
        assert changed.version == read.version + 1
        before = {(i["PK"], i["SK"]): i for i in listing.listing_items(read)}
        after = {(i["PK"], i["SK"]): i for i in listing.listing_items(changed)}
        writes: list[Write] = [
            Put(
                changed.to_item(),
                Expression("attribute_exists(PK) AND version = :read", values={":read": read.version}),
            ),
            *(Delete({"PK": pk, "SK": sk}) for pk, sk in before.keys() - after.keys()),
            *(Put(after[k]) for k in after.keys() - before.keys()),
            *(events.record(event) for event in outbox),
        ]
        try:
            self.table.transact(writes)
        except TransactionCanceled as canceled:
            if 0 in canceled.failed_conditions() or canceled.is_conflict:
                stored = canceled.reasons[0].item if canceled.reasons else None
                raise StaleVersion(SubscriptionPlan.from_item(stored) if stored else None) from canceled
            raise

    def bulk_load(self, plans: Sequence[SubscriptionPlan]) -> None:
        """Plans and their listing items in batches of 25, without events: for loading and
        migrating data (and large test fixtures), never for a request's change."""
        puts: list[dict[str, Any]] = []
        for plan in plans:
            puts.append(plan.to_item())
            puts.extend(listing.listing_items(plan))
        self.table.write_many(puts=puts)
