"""Form-encoded bodies on the Go1 routes (docs/product.md "Everyday operations"), as PHP's `http_build_query` writes
them, validated exactly like the same fields sent as JSON."""

from __future__ import annotations

from typing import Any

from planhub_local import tokens
from planhub_local.client import HttpResponse
from tests.conftest import Api
from tests.enrolments.conftest import PORTAL, Learning, enrolment_path

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post_form(api: Api, path: str, form: str, token: str) -> HttpResponse:
    return api.post(path, token=token, headers=FORM, raw=form)


def given_items(learning: Learning) -> str:
    for lo in ("t1", "t2"):
        learning.given.learning_object(lo, "text", PORTAL)
    return learning.learner("u1", managers=["boss"])


def test_a_php_form_creates_an_enrolment_with_nested_data_and_flags(api: Api, learning: Learning) -> None:
    token = given_items(learning)
    first = learning.enrol(token, "t1")
    form = "notify=0&reEnrol=1&dueDate=2026-12-01T00%3A00%3A00Z&data%5Bnote%5D=hello&data%5Bcustom_certificate%5D=x"

    answer = post_form(api, enrolment_path("t1"), form, token)

    assert answer.status == 200, answer.body
    created = learning.enrolment(answer.json()["id"])
    assert created["id"] != first  # reEnrol=1 replaced the active one
    assert created["data"] == {"note": "hello", "custom_certificate": "x"}
    assert created["due_date"].startswith("2026-12-01T00:00:00")
    assert learning.enrolment(first)["archived"] is True


def test_a_form_update_gives_numbers_to_number_fields_and_text_to_text_fields(api: Api, learning: Learning) -> None:
    token = given_items(learning)
    enrolment_id = learning.enrol(token, "t1")
    form = "duration=30&result=75.5&pass=1&note=007"

    answer = api.put(f"/enrolment/enrolment/{enrolment_id}", token=tokens.token("boss"), headers=FORM, raw=form)

    assert answer.status == 204, answer.body
    stored = learning.enrolment(enrolment_id)
    assert (stored["duration"], stored["result"], stored["pass"], stored["note"]) == (30, 75.5, 1, "007")


def test_a_many_lo_form_with_indexed_items_is_answered_per_item(api: Api, learning: Learning) -> None:
    token = given_items(learning)
    form = "items[0][loId]=t1&items[0][status]=completed&items[1][loId]=t2&notify=0"

    answer = post_form(api, f"/enrolment/{PORTAL}/enrolment", form, token)

    assert answer.status == 200, answer.body
    outcome = answer.json()
    assert set(outcome) == {"t1", "t2"}
    assert learning.enrolment(outcome["t1"]["200"]["id"])["status"] == "completed"


def test_a_form_is_refused_with_the_message_the_same_json_gets(api: Api, learning: Learning) -> None:
    token = given_items(learning)
    enrolment_id = learning.enrol(token, "t1")
    path = f"/enrolment/enrolment/{enrolment_id}"
    cases: list[tuple[str, dict[str, Any]]] = [
        ("duration=-1", {"duration": -1}),
        ("pass=2", {"pass": 2}),
        ("colour=red", {"colour": "red"}),
        ("status=done", {"status": "done"}),
        ("reCalculate=maybe", {"reCalculate": "maybe"}),
    ]

    for form, same in cases:
        as_form = api.put(path, token=tokens.token("boss"), headers=FORM, raw=form)
        as_json = api.put(path, same, token=tokens.token("boss"))

        assert (as_form.status, as_form.json()) == (400, as_json.json()), form


def test_json_sent_with_curls_default_form_content_type_is_still_json(api: Api, learning: Learning) -> None:
    token = given_items(learning)

    answer = post_form(api, enrolment_path("t1"), '{"notify": false}', token)

    assert answer.status == 200, answer.body
