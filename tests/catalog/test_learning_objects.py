"""Learning objects: typed, in a portal, containers hold children."""

from __future__ import annotations

from tests.conftest import Api, Catalog


def test_a_course_with_modules_and_a_price_is_stored(api: Api, given: Catalog) -> None:
    given.portal()
    body = {
        "portal": "p-acme",
        "type": "course",
        "title": "Safety",
        "children": ["m-1", "m-2"],
        "assessors": ["u-boss"],
        "price": {"amount": 4900, "currency": "USD"},
        "marketplace": True,
    }

    stored = api.put("/admin/los/c-1", body, token=given.staff)

    assert stored.status == 200
    assert api.get("/admin/los/c-1", token=given.staff).json() == {"id": "c-1", **body}


def test_a_learning_item_cannot_have_children(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.put(
        "/admin/los/v-1", {"portal": "p-acme", "type": "video", "title": "V", "children": ["x"]}, token=given.staff
    )

    assert answer.status == 400
    assert "video cannot have children" in answer.json()["message"]


def test_a_learning_object_cannot_contain_itself(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.put(
        "/admin/los/c-1", {"portal": "p-acme", "type": "course", "title": "C", "children": ["c-1"]}, token=given.staff
    )

    assert answer.status == 400


def test_an_unknown_type_is_400_naming_the_field(api: Api, given: Catalog) -> None:
    given.portal()

    answer = api.put("/admin/los/x", {"portal": "p-acme", "type": "podcast", "title": "X"}, token=given.staff)

    assert answer.status == 400
    assert "body.type" in answer.json()["message"]


def test_a_negative_or_fractional_price_is_400(api: Api, given: Catalog) -> None:
    given.portal()

    for amount in (-1, 49.5):
        answer = api.put(
            "/admin/los/x",
            {"portal": "p-acme", "type": "course", "title": "X", "price": {"amount": amount, "currency": "USD"}},
            token=given.staff,
        )
        assert answer.status == 400, amount


def test_a_learning_object_of_an_unknown_portal_is_404_and_not_written(api: Api, staff_token: str) -> None:
    answer = api.put("/admin/los/x", {"portal": "nowhere", "type": "course", "title": "X"}, token=staff_token)

    assert answer.status == 404
    assert api.get("/admin/los/x", token=staff_token).status == 404
