"""The plan routes take PHP's form bodies too (docs/product.md "Everyday operations"): same model, same answers."""

from __future__ import annotations

from tests.conftest import Api
from tests.plans.conftest import PORTAL, Plans, admin_token

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}


def test_a_form_assigns_a_plan_with_its_note_and_due_date(api: Api, plans: Plans) -> None:
    form = "status=1&notify=0&due_date=2030-01-31T17%3A00%3A00Z&data%5Bnote%5D=Before+the+audit"

    answer = api.post(f"/enrolment/plan/{PORTAL}/c1/user/u1", token=admin_token(), headers=FORM, raw=form)

    assert answer.status == 200, answer.body
    plan = api.get(f"/enrolment/plan/{answer.json()['id']}", token=admin_token()).json()
    assert plan["due_date"].startswith("2030-01-31T17:00:00")
    assert plan["data"]["note"] == "Before the audit"


def test_a_form_is_refused_as_the_same_json_is(api: Api, plans: Plans) -> None:
    path = f"/enrolment/plan/{PORTAL}/c1/user/u1"
    for form, same in (("status=2", {"status": 2}), ("status=1&version=1", {"status": 1, "version": 1})):
        as_form = api.post(path, token=admin_token(), headers=FORM, raw=form)
        as_json = api.post(path, same, token=admin_token())

        assert (as_form.status, as_form.json()) == (400, as_json.json()), form
