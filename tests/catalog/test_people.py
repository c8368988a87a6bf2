"""Users and groups of a portal; group membership is one item per member."""

from __future__ import annotations

from planhub.events import EventType
from planhub_local.stack import DeliveredEvent, LocalStack
from tests.conftest import Api, Catalog


def _membership_changes(stack: LocalStack) -> list[DeliveredEvent]:
    """Membership events as one consumer (the audit trail) received them."""
    return [
        d
        for d in stack.delivered
        if d.event["detail-type"] == EventType.GROUP_MEMBERS_CHANGED and d.function == "RecordCatalogAuditFunction"
    ]


def test_a_user_is_stored_with_roles_and_managers(api: Api, given: Catalog) -> None:
    given.portal()

    stored = api.put(
        "/admin/portals/p-acme/users/u-1",
        {"email": "Ada@Example.com", "name": "Ada", "roles": ["learner"], "managers": ["u-boss"]},
        token=given.staff,
    )

    assert stored.status == 200
    assert api.get("/admin/portals/p-acme/users/u-1", token=given.staff).json() == {
        "portal_id": "p-acme",
        "id": "u-1",
        "email": "Ada@Example.com",
        "name": "Ada",
        "roles": ["learner"],
        "managers": ["u-boss"],
    }


def test_a_user_of_an_unknown_portal_is_404_and_nothing_is_written(api: Api, staff_token: str) -> None:
    answer = api.put("/admin/portals/nowhere/users/u-1", {"email": "a@example.com", "name": "A"}, token=staff_token)

    assert answer.status == 404
    assert answer.json()["message"] == "Portal nowhere not found"
    assert api.get("/admin/portals/nowhere/users/u-1", token=staff_token).status == 404


def test_a_user_cannot_manage_themselves(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.put(
        "/admin/portals/p-acme/users/u-1",
        {"email": "a@example.com", "name": "A", "managers": ["u-1"]},
        token=given.staff,
    )

    assert answer.status == 400


def test_an_unknown_role_is_400_naming_the_field(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.put(
        "/admin/portals/p-acme/users/u-1",
        {"email": "a@example.com", "name": "A", "roles": ["emperor"]},
        token=given.staff,
    )

    assert answer.status == 400
    assert "body.roles.0" in answer.json()["message"]


def test_putting_a_group_again_replaces_its_membership(api: Api, given: Catalog) -> None:
    given.portal()
    given.group("g-1", ["u-1", "u-2", "u-3"])

    given.group("g-1", ["u-3", "u-4"])

    members = api.get("/admin/portals/p-acme/groups/g-1", token=given.staff).json()["members"]
    assert sorted(members) == ["u-3", "u-4"]


def test_a_membership_change_publishes_who_joined_and_who_left(stack: LocalStack, given: Catalog) -> None:
    given.portal()
    given.group("g-1", ["u-1", "u-2"])
    stack.drain()
    stack.delivered.clear()

    given.group("g-1", ["u-2", "u-3"])
    stack.drain()

    changes = [d.event["detail"]["data"] for d in _membership_changes(stack)]
    assert changes == [{"portal_id": "p-acme", "group_id": "g-1", "added": ["u-3"], "removed": ["u-1"]}]


def test_a_group_of_an_unknown_portal_is_404_and_nothing_is_written(
    api: Api, stack: LocalStack, given: Catalog
) -> None:
    given.portal()
    stack.drain()
    stack.delivered.clear()

    answer = api.put("/admin/portals/p-none/groups/g-1", {"title": "G", "members": ["u-1"]}, token=given.staff)
    stack.drain()

    assert answer.status == 404
    assert api.get("/admin/portals/p-none/groups/g-1", token=given.staff).status == 404
    assert stack.delivered == []


def test_a_group_beyond_one_transaction_announces_every_member_once(stack: LocalStack, given: Catalog) -> None:
    given.portal()
    members = [f"u-{n:03d}" for n in range(250)]

    given.group("g-1", members)
    stack.drain()

    announced = [user for d in _membership_changes(stack) for user in d.event["detail"]["data"]["added"]]
    assert sorted(announced) == members


def test_a_group_of_ten_thousand_members_is_stored_whole(api: Api, stack: LocalStack, given: Catalog) -> None:
    given.portal()
    members = [f"u-{n:05d}" for n in range(10_000)]

    stored = api.put("/admin/portals/p-acme/groups/big", {"title": "Everyone", "members": members}, token=given.staff)
    stack.drain()

    assert stored.status == 200
    read = api.get("/admin/portals/p-acme/groups/big", token=given.staff).json()
    assert sorted(read["members"]) == members
    announced = [user for d in _membership_changes(stack) for user in d.event["detail"]["data"]["added"]]
    assert sorted(announced) == members


def test_a_group_above_ten_thousand_members_is_400(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.put(
        "/admin/portals/p-acme/groups/huge",
        {"title": "Too many", "members": [f"u-{n}" for n in range(10_001)]},
        token=given.staff,
    )

    assert answer.status == 400
    assert "body.members" in answer.json()["message"]


def test_a_member_listed_twice_is_400(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.put("/admin/portals/p-acme/groups/g", {"title": "T", "members": ["u-1", "u-1"]}, token=given.staff)

    assert answer.status == 400
