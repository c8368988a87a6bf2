"""The sorted lists of a company's plans, kept as small listing items (no Scan, no filter).

Every plan has one listing item per sort field in each list it belongs to:

- a basic plan is in the company's `basic` list;
- a recurring order plan is in the company's `recurring` list and in its owner's
  `owner#<user>` list.

A company admin reads the `basic` and `recurring` lists merged; any other member reads
`basic` and their own `owner#<user>` list merged, so one user's orders stay private.

A listing item's sort key is `<state>#<value>#<plan id>`: the state (`L` live, `D` deleted)
first, so the default list is one key range with no filter and `include_deleted` merges
the two ranges; then the sort value, encoded so that text order is value order; then the
plan id, which breaks ties and names the plan. Listing items are written in the same
transaction as the plan, so a list never disagrees with the plans it lists.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from planhub.extended_json import epoch_ms
from planhub.storage import keys
from planhub.subscriptions.currency import MAX_MINOR_UNITS, minor_units
from planhub.subscriptions.models import SubscriptionPlan

LISTING_ENTITY = "subscription_plan_listing"
NAME_SORT_CHARACTERS = 100  # names equal in their first 100 characters are ordered by plan id
LIVE = "L"
DELETED = "D"
BASIC_AUDIENCE = "basic"
RECURRING_AUDIENCE = "recurring"


class SortField(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    NAME = "name"
    TOTAL_AMOUNT = "total_amount"


@dataclass(frozen=True)
class Sorting:
    field: SortField
    descending: bool

    @classmethod
    def parse(cls, text: str) -> Sorting:
        """`name`, `-created`, ...; ValueError for anything else."""
        descending = text.startswith("-")
        name = text[1:] if descending else text
        try:
            return cls(SortField(name), descending)
        except ValueError:
            choices = ", ".join(f.value for f in SortField)
            raise ValueError(f"sorting: sort by one of {choices}, with a leading - for descending") from None


def owner_audience(user_id: str) -> str:
    return f"owner#{user_id}"


def audiences_of(plan: SubscriptionPlan) -> list[str]:
    if plan.is_recurring and plan.user_id:
        return [RECURRING_AUDIENCE, owner_audience(plan.user_id)]
    return [BASIC_AUDIENCE]


def visible_audiences(user_id: str, *, company_admin: bool) -> list[str]:
    return [BASIC_AUDIENCE, RECURRING_AUDIENCE if company_admin else owner_audience(user_id)]


def sort_value(plan: SubscriptionPlan, field: SortField) -> str:
    """The plan's value for `field`, as text whose order is the value's order."""
    if field is SortField.CREATED:
        return f"{epoch_ms(plan.created):015d}"
    if field is SortField.UPDATED:
        return f"{epoch_ms(plan.updated):015d}"
    if field is SortField.NAME:
        # Case-insensitive; hex keeps the order of the UTF-8 bytes and never holds "#",
        # so a name sorts before every longer name it begins.
        return plan.name.casefold()[:NAME_SORT_CHARACTERS].encode().hex()
    # Amounts of every currency on one scale (major units, to the finest minor unit).
    scaled = plan.total_amount * 10 ** (MAX_MINOR_UNITS - minor_units(plan.currency))
    return f"{scaled:020d}"


def listing_items(plan: SubscriptionPlan) -> list[dict[str, Any]]:
    state = DELETED if plan.deleted else LIVE
    return [
        {
            **keys.subscription_plan_listing(
                plan.company_id, audience, field.value, f"{state}#{sort_value(plan, field)}#{plan.id}"
            ),
            "entity": LISTING_ENTITY,
        }
        for audience in audiences_of(plan)
        for field in SortField
    ]


def states(*, include_deleted: bool) -> list[str]:
    return [LIVE, DELETED] if include_deleted else [LIVE]


def plan_id_of(sort_key: str) -> str:
    return sort_key.rsplit("#", 1)[1]


def merged(ranges: Iterable[list[str]], *, descending: bool) -> Iterator[str]:
    """Sort keys of several ranges, each already in order, merged into one order.

    The state prefix is left out of the comparison, so live and deleted plans interleave.
    """
    return heapq.merge(*ranges, key=lambda sort_key: sort_key[2:], reverse=descending)
