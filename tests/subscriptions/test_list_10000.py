"""GET /plans over 10,000 plans of one company: order and page boundaries, without a Scan.

The plans are written once for the module, in batches through the repository (not 10,000
requests); every list goes through the API. Expected pages are computed here from the
plans themselves, independently of the listing items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends

from planhub.storage import Table
from planhub.subscriptions.models import PlanMethod, SubscriptionPlan
from planhub.subscriptions.repository import SubscriptionPlanRepository
from planhub_local import tokens
from planhub_local.gateway import Gateway
from planhub_local.stack import LocalStack
from planhub_local.template import ACCOUNT, REGION
from tests.conftest import Api, Catalog
from tests.subscriptions.conftest import API_KEY, Plans, company_token, stored_plan

COMPANY = "c-ten-thousand"
PLANS = 10_000
MEMBER = "member-7"


class MotoBackendWriter:
    """BatchWriteItem straight into moto's backend, skipping the HTTP round trip: only the
    transport of Table.write_many differs, and loading 50,000 items takes seconds, not a minute."""

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        backend = dynamodb_backends[ACCOUNT][REGION]
        for table_name, requests in RequestItems.items():
            for request in requests:
                backend.put_item(table_name, request["PutRequest"]["Item"])
        return {}


def the_plans() -> list[SubscriptionPlan]:
    """10,000 basic plans one second apart, names and amounts shuffled, every 97th deleted;
    and every 50th second an order plan of MEMBER (not counted in the 10,000)."""
    plans = []
    for i in range(PLANS):
        plan = stored_plan(COMPANY, 2 * i, name=f"Plan {(i * 7919) % PLANS:05d}", amount=(i * 104_729) % 50_000)
        plans.append(plan.model_copy(update={"deleted": i % 97 == 0}))
    for i in range(0, PLANS, 50):
        plan = stored_plan(COMPANY, 2 * i + 1, name=f"order {i}")
        plans.append(plan.model_copy(update={"method": PlanMethod.RECURRING_ORDER, "user_id": MEMBER}))
    return plans


@dataclass
class Company:
    plans: list[SubscriptionPlan]
    admin: Plans
    member: Plans


@pytest.fixture(scope="module")
def company() -> Iterator[Company]:
    with mock_aws():
        stack = LocalStack().create(from_snapshot=True)
        api = Api(Gateway(stack))
        Catalog(api, tokens.staff()).company(COMPANY, [API_KEY])
        plans = the_plans()
        SubscriptionPlanRepository(Table(stack.table_name, client=MotoBackendWriter())).bulk_load(plans)  # type: ignore[arg-type]
        yield Company(
            plans=plans,
            admin=Plans(api, company_token("admin-1", admin=True, company=COMPANY)),
            member=Plans(api, company_token(MEMBER, company=COMPANY)),
        )


def expected_ids(
    plans: list[SubscriptionPlan],
    key: Callable[[SubscriptionPlan], Any],
    *,
    descending: bool,
    page: int,
    size: int,
    visible: Callable[[SubscriptionPlan], bool] = lambda p: not p.deleted,
) -> list[str]:
    ordered = sorted((p for p in plans if visible(p)), key=lambda p: (key(p), p.id), reverse=descending)
    return [p.id for p in ordered[(page - 1) * size : page * size]]


def listed_ids(plans: Plans, query: str) -> list[str]:
    answer = plans.list(query)
    assert answer.status == 200, answer.body
    return [p["_id"]["$oid"] for p in answer.json()]


def basic(plan: SubscriptionPlan) -> bool:
    return plan.method is PlanMethod.BASIC


def test_the_first_two_pages_hold_the_newest_plans_in_order(company: Company) -> None:
    # When an admin reads the first two pages of 200 in the default order (-created)
    first = listed_ids(company.admin, "size=200")
    second = listed_ids(company.admin, "size=200&page=2")

    # Then they are the 400 newest plans that are not deleted, with no gap or repeat between them
    newest = expected_ids(company.plans, lambda p: p.created, descending=True, page=1, size=400)
    assert first + second == newest
    assert len(set(first + second)) == 400


def test_the_last_page_is_short_and_ends_with_the_oldest_plan(company: Company) -> None:
    visible = [p for p in company.plans if not p.deleted]
    last_page = -(-len(visible) // 200)

    last = listed_ids(company.admin, f"size=200&page={last_page}")

    assert last == expected_ids(company.plans, lambda p: p.created, descending=True, page=last_page, size=200)
    assert last[-1] == min(visible, key=lambda p: p.created).id
    assert 0 < len(last) < 200


def test_a_middle_page_by_name_is_that_slice_of_the_names_in_order(company: Company) -> None:
    # Page 13 of 200 by name: the plans at positions 2,400 to 2,599
    page = listed_ids(company.admin, "sorting=name&size=200&page=13")

    assert page == expected_ids(company.plans, lambda p: p.name.casefold(), descending=False, page=13, size=200)


def test_plans_sorted_by_total_amount_descending_cross_the_page_boundary_in_order(company: Company) -> None:
    pages = listed_ids(company.admin, "sorting=-total_amount&size=150") + listed_ids(
        company.admin, "sorting=-total_amount&size=150&page=2"
    )

    assert pages == expected_ids(company.plans, lambda p: p.total_amount, descending=True, page=1, size=300)


def test_include_deleted_interleaves_the_deleted_plans_in_their_place(company: Company) -> None:
    listed = listed_ids(company.admin, "sorting=updated&size=200&page=2&include_deleted=true")

    assert listed == expected_ids(
        company.plans, lambda p: p.updated, descending=False, page=2, size=200, visible=lambda p: True
    )
    deleted = {p.id for p in company.plans if p.deleted}
    assert deleted & set(listed)


def test_a_user_pages_through_the_basic_plans_merged_with_their_own_order_plans(company: Company) -> None:
    # When the member reads pages 1 and 2 of 100 by creation time
    pages = listed_ids(company.member, "sorting=created&size=100") + listed_ids(
        company.member, "sorting=created&size=100&page=2"
    )

    # Then their order plans stand among the basic plans, in creation order
    mine_or_basic = [p for p in company.plans if not p.deleted and (basic(p) or p.user_id == MEMBER)]
    assert pages == expected_ids(mine_or_basic, lambda p: p.created, descending=False, page=1, size=200)
    assert any(p.user_id == MEMBER for p in company.plans if p.id in set(pages))


def test_the_admin_list_has_every_plan_of_the_company_but_the_deleted(company: Company) -> None:
    ids = listed_ids(company.admin, "sorting=-created&size=200&page=3")

    assert ids == expected_ids(company.plans, lambda p: p.created, descending=True, page=3, size=200)
