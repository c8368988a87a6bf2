"""Two containers may draw the same enrolment id in the same second (planhub/ids.py): the second
create is refused by its id's existence condition and made again with a new id, never answered
with an error nor written over the first."""

from __future__ import annotations

import pytest

from planhub_local.client import Api
from planhub_local.stack import LocalStack
from planhub_local.stripe_endpoint import StripeEndpoint
from tests.enrolments.conftest import PORTAL, Learning, enrolment_path
from tests.enrolments.test_payments import STRIPE, coupon_uses, paid_course
from tests.test_fresh_ids import repeat_next_id_once


def test_an_enrolment_under_a_taken_id_gets_a_new_one(learning: Learning, monkeypatch: pytest.MonkeyPatch) -> None:
    learning.given.learning_object("t1", "text", PORTAL)
    first_learner, second_learner = learning.learner("u1"), learning.learner("u2")
    repeat_next_id_once(monkeypatch)

    first = learning.enrol(first_learner, "t1")
    second = learning.enrol(second_learner, "t1")

    assert first != second
    assert (learning.enrolment(first)["user_id"], learning.enrolment(second)["user_id"]) == ("u1", "u2")
    assert len(learning.history(first)) == len(learning.history(second)) == 1  # the refused create left none


def test_an_item_of_many_under_a_taken_id_gets_a_new_one(
    api: Api, learning: Learning, monkeypatch: pytest.MonkeyPatch
) -> None:
    for lo in ("t1", "t2"):
        learning.given.learning_object(lo, "text", PORTAL)
    first_learner, second_learner = learning.learner("u1"), learning.learner("u2")
    repeat_next_id_once(monkeypatch)
    first = learning.enrol(first_learner, "t1")

    answer = api.post(
        f"/enrolment/{PORTAL}/enrolment",
        {"items": [{"loId": "t1", "status": "in-progress"}, {"loId": "t2", "status": "not-started"}]},
        token=second_learner,
    )

    assert answer.status == 200, answer.body
    ids = {lo: outcome["200"]["id"] for lo, outcome in answer.json().items()}
    assert first not in ids.values() and len(set(ids.values())) == 2
    assert {learning.enrolment(i)["user_id"] for i in ids.values()} == {"u2"}
    assert learning.enrolment(first)["user_id"] == "u1"


def test_the_last_coupon_use_survives_a_taken_id(
    api: Api, learning: Learning, stripe_endpoint: StripeEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    learning.given.learning_object("t1", "text", PORTAL)
    paid_course(learning)
    learning.given.coupon("ONCE", PORTAL, discount=1.0, max_uses=1)
    first_learner, second_learner = learning.learner("u1"), learning.learner("u2")
    repeat_next_id_once(monkeypatch)
    first = learning.enrol(first_learner, "t1")

    answer = api.post(enrolment_path("paid"), {"coupon": "ONCE"}, token=second_learner)

    assert answer.status == 200, answer.body
    assert answer.json()["id"] != first
    assert coupon_uses(api, learning, "ONCE") == 1
    assert stripe_endpoint.charges == []


def test_a_paid_enrolment_under_a_taken_id_refunds_its_own_charge_only(
    stack: LocalStack, api: Api, learning: Learning, stripe_endpoint: StripeEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two learners paying for the same course, the second drawing the first's id
    paid_course(learning)
    first_learner, second_learner = learning.learner("u1"), learning.learner("u2")
    repeat_next_id_once(monkeypatch)
    first = api.post(enrolment_path("paid"), STRIPE, token=first_learner)

    # When the second enrols (its write is refused for the id, and made again under a new one)
    second = api.post(enrolment_path("paid"), STRIPE, token=second_learner)
    stack.drain()

    # Then the first learner's charge stands; only the second's first charge is given back
    assert (first.status, second.status) == (200, 200), second.body
    first_charge, *second_charges = stripe_endpoint.charges
    assert len(second_charges) == 2 and first_charge["id"] not in {c["id"] for c in second_charges}
    assert [r["charge"] for r in stripe_endpoint.refunds] == [second_charges[0]["id"]]
