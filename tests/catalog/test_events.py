"""A catalog change and its event are written together, and the event reaches its
consumer through the template's own rule: table -> stream -> publisher -> bus -> rule."""

from __future__ import annotations

import datetime as dt

import pytest

from planhub.storage import Table
from planhub_local.stack import LocalStack
from tests.conftest import Api, Catalog

TODAY = dt.datetime.now(dt.UTC).date().isoformat()


def test_a_catalog_change_travels_to_its_consumer_through_the_templates_rule(
    api: Api, stack: LocalStack, given: Catalog
) -> None:
    given.portal("p-acme", "acme.example.com")

    stack.drain()

    delivered = [d for d in stack.delivered if d.event["detail-type"] == "portal saved"]
    assert [(d.rule, d.function) for d in delivered] == [
        ("RecordCatalogAuditFunction-CatalogChanged", "RecordCatalogAuditFunction")
    ]
    trail = api.get(f"/admin/audit/{TODAY}", token=given.staff).json()["data"]
    assert [(e["type"], e["actor"], e["data"]["name"]) for e in trail] == [
        ("portal saved", "staff-1", "acme.example.com")
    ]


def test_a_redelivered_event_is_recorded_once(api: Api, stack: LocalStack, given: Catalog) -> None:
    given.portal()
    stack.drain()
    event = stack.delivered[0].event

    stack.invoke("RecordCatalogAuditFunction", event)
    stack.invoke("RecordCatalogAuditFunction", event)

    assert len(api.get(f"/admin/audit/{TODAY}", token=given.staff).json()["data"]) == 1


def test_a_refused_change_publishes_nothing(api: Api, stack: LocalStack, staff_token: str) -> None:
    refused = api.put("/admin/portals/nowhere/users/u-1", {"email": "a@example.com", "name": "A"}, token=staff_token)

    stack.drain()

    assert refused.status == 404
    assert stack.delivered == []


def test_the_audit_trail_pages_with_an_opaque_cursor(api: Api, stack: LocalStack, given: Catalog) -> None:
    for n in range(5):
        given.portal(f"p-{n}", f"p{n}.example.com")
    stack.drain()

    first = api.get(f"/admin/audit/{TODAY}?limit=3", token=given.staff).json()
    second = api.get(f"/admin/audit/{TODAY}?limit=3&cursor={first['cursor']}", token=given.staff).json()

    names = [e["data"]["name"] for e in first["data"] + second["data"]]
    assert sorted(names) == [f"p{n}.example.com" for n in range(5)]
    assert second["cursor"] is None


def test_a_forged_cursor_is_400(api: Api, staff_token: str) -> None:
    answer = api.get(f"/admin/audit/{TODAY}?cursor=not-a-cursor", token=staff_token)

    assert answer.status == 400


def test_an_unexpected_failure_is_a_500_without_a_stack_trace(
    api: Api, given: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    given.portal()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Table, "get", broken)
    answer = api.get("/admin/portals/p-acme", token=given.staff)

    assert answer.status == 500
    assert answer.json() == {"message": "Internal server error"}
