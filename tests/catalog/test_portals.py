"""Portals: upserted by staff, addressable by id or unique name."""

from __future__ import annotations

from tests.conftest import Api, Catalog


def test_put_creates_and_get_returns_the_stored_portal(api: Api, staff_token: str) -> None:
    created = api.put("/admin/portals/p-1", {"name": "one.example.com", "title": "One"}, token=staff_token)

    read = api.get("/admin/portals/p-1", token=staff_token)

    assert created.status == 200
    assert read.json() == created.json() == {"id": "p-1", "name": "one.example.com", "title": "One"}


def test_an_unknown_portal_is_404(api: Api, staff_token: str) -> None:
    answer = api.get("/admin/portals/missing", token=staff_token)

    assert answer.status == 404
    assert answer.json() == {"message": "Portal missing not found"}


def test_a_name_held_by_another_portal_is_a_conflict(api: Api, given: Catalog) -> None:
    given.portal("p-1", "taken.example.com")

    answer = api.put("/admin/portals/p-2", {"name": "TAKEN.example.com"}, token=given.staff)

    assert answer.status == 409
    assert api.get("/admin/portals/p-2", token=given.staff).status == 404


def test_renaming_a_portal_frees_its_old_name(api: Api, given: Catalog) -> None:
    given.portal("p-1", "old.example.com")
    given.portal("p-1", "new.example.com")

    answer = api.put("/admin/portals/p-2", {"name": "old.example.com"}, token=given.staff)

    assert answer.status == 200


def test_a_rename_to_a_taken_name_changes_nothing(api: Api, given: Catalog) -> None:
    given.portal("p-1", "one.example.com")
    given.portal("p-2", "two.example.com")

    answer = api.put("/admin/portals/p-2", {"name": "one.example.com"}, token=given.staff)

    assert answer.status == 409
    assert api.get("/admin/portals/p-2", token=given.staff).json()["name"] == "two.example.com"
    assert api.put("/admin/portals/p-3", {"name": "two.example.com"}, token=given.staff).status == 409


def test_changing_only_the_case_of_a_name_keeps_the_name_taken(api: Api, given: Catalog) -> None:
    given.portal("p-1", "one.example.com")

    renamed = api.put("/admin/portals/p-1", {"name": "One.Example.com"}, token=given.staff)

    assert renamed.json()["name"] == "One.Example.com"
    assert api.put("/admin/portals/p-2", {"name": "one.example.com"}, token=given.staff).status == 409


def test_a_portal_renamed_twice_holds_only_its_last_name(api: Api, given: Catalog) -> None:
    given.portal("p-1", "first.example.com")
    given.portal("p-1", "second.example.com")

    given.portal("p-1", "third.example.com")

    for name in ("first.example.com", "second.example.com"):
        assert api.put(f"/admin/portals/p-{name[:5]}", {"name": name}, token=given.staff).status == 200
    assert api.put("/admin/portals/p-4", {"name": "third.example.com"}, token=given.staff).status == 409


def test_a_body_with_a_wrong_field_is_400_naming_it(api: Api, staff_token: str) -> None:
    answer = api.put("/admin/portals/p-1", {"name": "ok.example.com", "colour": "red"}, token=staff_token)

    assert answer.status == 400
    assert "body.colour" in answer.json()["message"]


def test_a_body_that_is_not_json_is_400(api: Api, staff_token: str) -> None:
    answer = api.put("/admin/portals/p-1", raw="{name: oops", token=staff_token)

    assert answer.status == 400
    assert answer.json() == {"message": "Invalid request: body: is not valid JSON"}


def test_a_json_body_sent_as_a_form_is_still_read_as_json(api: Api, staff_token: str) -> None:
    answer = api.put(
        "/admin/portals/p-1",
        {"name": "curl.example.com"},
        token=staff_token,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert answer.status == 200
