"""Enrolling in many LOs at once: each item answered on its own, as the create seed shows."""

from __future__ import annotations

from typing import Any

from planhub_local import tokens
from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, Learning

MANY = f"/enrolment/{PORTAL}/enrolment"


def test_each_item_is_answered_under_its_lo_id_with_its_status_code(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    body = {"items": [{"loId": "c1", "status": "in-progress"}, {"loId": "i2", "status": "not-started"}]}

    answer = api.post(MANY, body, token=token)

    assert answer.status == 200
    outcomes = answer.json()
    assert set(outcomes) == {"c1", "i2"}
    assert learning.enrolment(outcomes["c1"]["200"]["id"])["status"] == "in-progress"
    assert learning.enrolment(outcomes["i2"]["200"]["id"])["status"] == "not-started"


def test_one_items_failure_does_not_undo_the_others(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    body = {"items": [{"loId": "c1"}, {"loId": "nothing"}, {"loId": "m1", "parentLoId": "c1"}, {"loId": "i1"}]}

    answer = api.post(MANY, body, token=token)

    outcomes = answer.json()
    assert list(outcomes["nothing"]) == ["404"]
    assert "message" in outcomes["nothing"]["404"]
    assert list(outcomes["m1"]) == ["400"]
    assert learning.enrolment(outcomes["c1"]["200"]["id"])["lo_id"] == "c1"
    assert learning.enrolment(outcomes["i1"]["200"]["id"])["lo_id"] == "i1"


def test_the_seeds_integer_lo_ids_are_accepted(api: Api, learning: Learning) -> None:
    learning.given.learning_object("111", "course", PORTAL, children=["11"])
    learning.given.learning_object("11", "module", PORTAL)
    token = learning.learner("u1")

    answer = api.post(MANY, {"items": [{"loId": 111, "parentLoId": 0, "status": "in-progress"}]}, token=token)

    assert answer.status == 200
    assert list(answer.json()["111"]) == ["200"]


def test_a_child_item_names_its_parent_enrolment(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")

    answer = api.post(MANY, {"items": [{"loId": "m1", "parentLoId": "c1", "parentEnrolmentId": course}]}, token=token)

    assert learning.enrolment(answer.json()["m1"]["200"]["id"])["parent_enrolment_id"] == course


def test_an_item_of_an_active_enrolment_is_answered_with_its_id(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")

    answer = api.post(MANY, {"items": [{"loId": "c1"}]}, token=token)

    assert answer.json() == {"c1": {"200": {"id": course}}}


def test_an_lo_listed_twice_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post(MANY, {"items": [{"loId": "c1"}, {"loId": "c1"}]}, token=token)

    assert answer.status == 400
    assert "body.items" in answer.json()["message"]


def test_a_request_without_items_is_400(api: Api, learning: Learning) -> None:
    token = learning.learner("u1")

    for body in ({"items": []}, {}):
        answer = api.post(MANY, body, token=token)

        assert answer.status == 400
        assert "body.items" in answer.json()["message"]


def test_many_los_may_name_the_portal_instead_of_its_id(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post("/enrolment/acme.example.com/enrolment", {"items": [{"loId": "c1"}, {"loId": "i1"}]}, token=token)

    assert answer.status == 200
    for lo_id, outcome in answer.json().items():
        stored = learning.enrolment(outcome["200"]["id"])
        assert (stored["portal_id"], stored["user_id"], stored["lo_id"]) == (PORTAL, "u1", lo_id)


def test_many_los_in_an_unknown_portal_is_404(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post("/enrolment/nowhere/enrolment", {"items": [{"loId": "c1"}]}, token=token)

    assert answer.status == 404
    assert answer.json() == {"message": "Portal nowhere not found"}


def test_a_caller_who_is_not_a_user_of_the_portal_may_not_enrol_in_many_los(api: Api, learning: Learning) -> None:
    learning.course_tree()
    stranger = tokens.token("u-stranger")

    answer = api.post(MANY, {"items": [{"loId": "c1"}]}, token=stranger)

    assert answer.status == 403
    assert answer.json() == {"message": f"You are not a user of portal {PORTAL}"}


def test_an_item_refused_in_the_shared_transaction_does_not_undo_the_others(api: Api, learning: Learning) -> None:
    for lo_id in ("paid-1", "paid-2", "paid-3"):
        learning.given.learning_object(lo_id, "course", PORTAL, price={"amount": 100, "currency": "USD"})
    tokens_of = {lo_id: learning.given.credit_tokens(lo_id)[0] for lo_id in ("paid-1", "paid-2", "paid-3")}
    used = {"paymentMethod": "credit", "paymentOptions": {"token": tokens_of["paid-2"]}}
    learning.enrol(learning.learner("u2"), "paid-2", body=used)
    token = learning.learner("u1")
    body = {**_credit({t: lo for lo, t in tokens_of.items()}), "items": [{"loId": lo} for lo in tokens_of]}

    answer = api.post(MANY, body, token=token)

    outcomes = answer.json()
    assert outcomes["paid-2"] == {"403": {"message": "The credit token has already been used"}}
    for lo_id in ("paid-1", "paid-3"):
        assert learning.enrolment(outcomes[lo_id]["200"]["id"])["user_id"] == "u1"
    assert list(outcomes) == ["paid-1", "paid-2", "paid-3"]


def test_siblings_under_one_parent_enrolment_are_enrolled_together(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")
    module = learning.enrol(token, "m1", parent_lo="c1", parent_enrolment=course)
    items = [{"loId": item, "parentLoId": "m1", "parentEnrolmentId": module} for item in ("i1", "i2")]

    answer = api.post(MANY, {"items": items}, token=token)

    for lo_id, outcome in answer.json().items():
        stored = learning.enrolment(outcome["200"]["id"])
        assert (stored["lo_id"], stored["parent_enrolment_id"]) == (lo_id, module)


def test_an_item_under_a_parent_an_earlier_item_re_enrols_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")
    items = [{"loId": "c1", "reEnrol": 1}, {"loId": "m1", "parentLoId": "c1", "parentEnrolmentId": course}]

    answer = api.post(MANY, {"items": items}, token=token)

    outcomes = answer.json()
    assert learning.enrolment(outcomes["c1"]["200"]["id"])["archived"] is False
    assert outcomes["m1"] == {"400": {"message": f"parentEnrolmentId: enrolment {course} is archived"}}
    assert learning.enrolment(course)["archived"] is True


def test_an_item_under_a_parent_a_later_item_re_enrols_is_enrolled_first(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    course = learning.enrol(token, "c1")
    items = [{"loId": "m1", "parentLoId": "c1", "parentEnrolmentId": course}, {"loId": "c1", "reEnrol": 1}]

    answer = api.post(MANY, {"items": items}, token=token)

    outcomes = answer.json()
    assert learning.enrolment(outcomes["m1"]["200"]["id"])["parent_enrolment_id"] == course
    assert learning.enrolment(course)["archived"] is True


def test_items_sharing_a_coupon_each_count_a_use(api: Api, learning: Learning) -> None:
    for lo_id in ("paid-1", "paid-2"):
        learning.given.learning_object(lo_id, "course", PORTAL, price={"amount": 100, "currency": "USD"})
    learning.given.coupon("FREE", PORTAL, discount=1.0)
    token = learning.learner("u1")

    answer = api.post(MANY, {"coupon": "FREE", "items": [{"loId": "paid-1"}, {"loId": "paid-2"}]}, token=token)

    assert all(list(outcome) == ["200"] for outcome in answer.json().values())
    assert api.get("/admin/coupons/FREE", token=learning.given.staff).json()["uses"] == 2


def _credit(lo_of_token: dict[str, str]) -> dict[str, Any]:
    tokens_ = {token: {"productType": "lo", "productId": lo_id} for token, lo_id in lo_of_token.items()}
    return {"paymentMethod": "credit", "paymentOptions": {"tokens": tokens_}}
