"""GET /plans: sorting, paging, deleted plans and who sees which plans (a company each)."""

from __future__ import annotations

from typing import Any

import pytest

from planhub_local import tokens
from tests.subscriptions.conftest import (
    Plans,
    World,
    company_token,
    load_plans,
    recurring_plan,
    seed_plan,
    stored_plan,
)


def names(answer: Any) -> list[str]:
    assert answer.status == 200, answer.body
    return [plan["name"] for plan in answer.json()]


def make_plans(plans: Plans, *named: str, **fields: Any) -> list[dict[str, Any]]:
    return [plans.created(seed_plan(name=name, items=[], total_amount=10, **fields)) for name in named]


@pytest.fixture
def own_company(world: World, request: pytest.FixtureRequest) -> str:
    """A company of this test's own, which has no plans yet."""
    return world.new_company(f"c-{request.node.name}"[:100])


@pytest.fixture
def plans(world: World, own_company: str) -> Plans:
    """An admin of the test's own company."""
    return world.plans_of(own_company)


def test_plans_are_listed_newest_first_by_default(plans: Plans) -> None:
    make_plans(plans, "first", "second", "third")

    assert names(plans.list()) == ["third", "second", "first"]


def test_sorting_by_name_ignores_case_and_puts_a_prefix_first(plans: Plans) -> None:
    make_plans(plans, "beta", "Alpha", "alpha plus", "gamma", "Al")

    assert names(plans.list("sorting=name")) == ["Al", "Alpha", "alpha plus", "beta", "gamma"]
    assert names(plans.list("sorting=-name")) == ["gamma", "beta", "alpha plus", "Alpha", "Al"]


def test_sorting_by_total_amount_compares_amounts_across_currencies(plans: Plans) -> None:
    # Given amounts in currencies of 0, 2 and 3 decimals
    plans.created(seed_plan(name="1000 JPY", currency="JPY", items=[], total_amount=1000))
    plans.created(seed_plan(name="9.99 NOK", currency="NOK", items=[], total_amount=9.99))
    plans.created(seed_plan(name="10.5 KWD", currency="KWD", items=[], total_amount=10.5))
    plans.created(seed_plan(name="0.125 KWD", currency="KWD", items=[], total_amount=0.125))

    # Then they are ordered by the amount shown
    assert names(plans.list("sorting=total_amount")) == ["0.125 KWD", "9.99 NOK", "10.5 KWD", "1000 JPY"]
    assert names(plans.list("sorting=-total_amount")) == ["1000 JPY", "10.5 KWD", "9.99 NOK", "0.125 KWD"]


def test_sorting_by_updated_moves_a_changed_plan(plans: Plans) -> None:
    old, _newer = make_plans(plans, "old", "newer", static=False)

    plans.update(old["_id"]["$oid"], {"note": "touched"})

    assert names(plans.list("sorting=-updated")) == ["old", "newer"]
    assert names(plans.list("sorting=updated")) == ["newer", "old"]
    assert names(plans.list("sorting=created")) == ["old", "newer"]


def test_pages_follow_each_other_without_gaps_or_repeats(plans: Plans) -> None:
    make_plans(plans, *(f"plan {i}" for i in range(7)))

    pages = [names(plans.list(f"size=3&page={page}&sorting=name")) for page in (1, 2, 3, 4)]

    assert pages == [["plan 0", "plan 1", "plan 2"], ["plan 3", "plan 4", "plan 5"], ["plan 6"], []]


def test_the_default_page_size_is_50(world: World, plans: Plans, own_company: str) -> None:
    load_plans(world.stack, [stored_plan(own_company, i, name=f"p{i:02d}") for i in range(51)])

    assert names(plans.list()) == [f"p{i:02d}" for i in range(50, 0, -1)]
    assert names(plans.list("page=2")) == ["p00"]


def test_deleted_plans_are_left_out_unless_asked_for_in_their_place(plans: Plans) -> None:
    _, deleted, _ = make_plans(plans, "a", "b", "c")

    plans.delete(deleted["_id"]["$oid"])

    assert names(plans.list("sorting=name")) == ["a", "c"]
    listed = plans.list("sorting=name&include_deleted=true").json()
    assert [(p["name"], p["deleted"]) for p in listed] == [("a", False), ("b", True), ("c", False)]
    assert names(plans.list("sorting=name&include_deleted=false")) == ["a", "c"]


def test_a_user_lists_basic_plans_and_their_own_order_plans_only(world: World, plans: Plans, own_company: str) -> None:
    # Given a basic plan, and order plans of two users of the company
    make_plans(plans, "basic")
    alice = world.plans_of(own_company, "alice", admin=False)
    bob = world.plans_of(own_company, "bob", admin=False)
    alice.created(recurring_plan(name="alice's order", items=[], total_amount=5))
    bob.created(recurring_plan(name="bob's order", items=[], total_amount=5))

    # Then each user sees the basic plan and their own order plan; the admin sees all
    assert names(alice.list("sorting=name")) == ["alice's order", "basic"]
    assert names(bob.list("sorting=name")) == ["basic", "bob's order"]
    assert names(plans.list("sorting=name")) == ["alice's order", "basic", "bob's order"]


def test_another_company_plans_are_not_listed(world: World, plans: Plans) -> None:
    make_plans(plans, "ours")
    theirs = world.plans_of(world.new_company("c-list-theirs"))

    assert names(theirs.list()) == []


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("size=0", "size"),
        ("size=201", "size"),
        ("size=ten", "size"),
        ("page=0", "page"),
        ("sorting=price", "sorting"),
        ("sorting=--name", "sorting"),
        ("sorting=Name", "sorting"),
        ("include_deleted=maybe", "include_deleted"),
    ],
)
def test_a_bad_list_query_is_refused_naming_the_parameter(admin: Plans, query: str, named: str) -> None:
    answer = admin.list(query)

    assert answer.status == 400
    assert named in answer.json()["message"]


def test_listing_needs_the_company_api_key(plans: Plans) -> None:
    assert plans.as_(plans.token, key="share-key-0123456789abcdef").list().status == 403
    assert plans.as_(plans.token, key=None).list().status == 403


def test_listing_needs_a_company_in_the_token(plans: Plans) -> None:
    assert plans.as_(tokens.token("no-company"), key=plans.key).list().status == 403


def test_listing_another_company_with_its_own_key_is_not_possible_with_this_token(plans: Plans, world: World) -> None:
    other = world.new_company("c-list-other")

    assert (
        plans.as_(company_token("admin-1", admin=True), key=f"share-key-0123456789abcdef-{other}").list().status == 403
    )
