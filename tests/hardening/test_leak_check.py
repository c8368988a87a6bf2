"""The fuzzer's leak check (hardening/fuzz.py): an answer that shows a home object's id to an
actor who may not see it is a leak, unless the id is only the caller's own echoed back (a world
id the fuzzer sent as another kind's name, e.g. an order id as a portal id)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hardening.fuzz import SECRET_KEEPERS, Fuzzer, Operation, Request, Tally, path_slots
from hardening.world import World

IDS = {name: f"5c00000000000000000000{n:02d}" for n, name in enumerate([*SECRET_KEEPERS, "plan_to_unassign"])}


def _leaks(method: str, route: str, request: Request, answer: Any) -> list[str]:
    fuzzer = Fuzzer(cast(World, SimpleNamespace(ids=IDS)), {"paths": {}})
    tally = Tally()
    operation = Operation(method, route, {"responses": {"200": {}}})
    fuzzer._check_leak(operation, request, f"{method} {request[1]}", json.dumps(answer), tally)
    return tally.leaks


def test_the_home_order_id_echoed_as_a_portal_id_is_not_a_leak() -> None:
    # Given staff (who may not see the home order) making a portal named by the order's id
    order = IDS["order"]
    request: Request = ("staff", f"/admin/portals/{order}", {"name": "x.example.com", "title": "X"}, None)

    # When the answer shows the portal, i.e. the id staff sent
    leaks = _leaks("PUT", "/admin/portals/{portalId}", request, {"id": order, "name": "x.example.com"})

    # Then no leak
    assert leaks == []


def test_an_outsider_getting_the_home_plan_is_still_a_leak() -> None:
    # Given another portal's admin asking for the home plan by its id, in the plan's own slot
    plan = IDS["plan"]
    request: Request = ("other_portal_admin", f"/enrolment/plan/{plan}", None, None)

    # When the answer is the plan
    leaks = _leaks("GET", "/enrolment/plan/{planId}", request, {"id": plan, "status": 1})

    # Then it is flagged, naming the plan
    assert len(leaks) == 1
    assert f"shows the home plan {plan}" in leaks[0]


def _get(actor: str, route: str, sent: str) -> tuple[str, str, Request]:
    return "GET", route, (actor, route.partition("{")[0] + IDS[sent], None, None)


def _portal(body: Any) -> tuple[str, str, Request]:
    return "PUT", "/admin/portals/{portalId}", ("staff", f"/admin/portals/{IDS['order']}", body, None)


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        # The subscription plan in its own slot, to another company.
        pytest.param(_get("other_company", "/plans/{plan_id}", "subscription_plan"), "subscription_plan", id="own"),
        # An invoice id in an order slot: both are secret kinds, the answer may be the invoice.
        pytest.param(_get("other_company", "/orders/{order_id}", "invoice"), "invoice", id="secret-slot"),
        # A slot whose kind the check does not know.
        pytest.param(_get("manager", "/enrolment/plan/group-assignment/{id}", "order"), "order", id="unknown-slot"),
        # The order id echoed as a portal id, but the answer shows another home object too.
        pytest.param(_portal({}), "payment", id="echo-and-more"),
        # The order id in a portal slot and in the body: it may be shown as the order.
        pytest.param(_portal({"o": IDS["order"]}), "order", id="also-in-body"),
    ],
)
def test_a_home_id_shown_other_than_as_the_callers_own_name_is_a_leak(
    sent: tuple[str, str, Request], shown: str
) -> None:
    # Given an answer that shows a home object's id to an actor who may not see it
    method, route, request = sent
    answer = {"id": request[1].rsplit("/", 1)[1], "other": IDS[shown]}

    # When the check reads it
    leaks = _leaks(method, route, request, answer)

    # Then it is a leak of that object
    assert any(f"shows the home {shown} {IDS[shown]}" in leak for leak in leaks), leaks


def test_path_slots_reads_each_slot_back_from_the_concrete_path() -> None:
    slots = path_slots("/admin/portals/{portalId}/users/{userId}", "/admin/portals/p%2F1/users/u1@example.com?x=1")

    assert slots == {"portalId": "p/1", "userId": "u1@example.com"}
