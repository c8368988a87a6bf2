"""POST /enrolment/plan/{instance}/{loId}/user/{userId}: the seed's rules, one per test."""

from __future__ import annotations

import pytest

from planhub_local import tokens
from tests.conftest import Catalog
from tests.plans.conftest import OTHER_PORTAL, PORTAL, PORTAL_NAME, Plans, admin_token, in_days, learner_token

# --- the answer -----------------------------------------------------------------------------


def test_an_assignment_answers_the_new_plan_id_as_a_string_of_digits(plans: Plans) -> None:
    answer = plans.assign("u1", {"status": 1})

    assert answer.status == 200
    assert set(answer.json()) == {"id"}
    assert answer.json()["id"].isdigit() and int(answer.json()["id"]) > 0


def test_the_new_plan_records_what_was_assigned(plans: Plans) -> None:
    due = in_days(10)

    plan_id = plans.assigned("u1", {"status": 1, "due_date": due, "notify": False, "data": {"note": "Start soon"}})

    plan = plans.plan(plan_id)
    assert (plan["user_id"], plan["lo_id"], plan["portal_id"], plan["status"]) == ("u1", "c1", PORTAL, 1)
    assert (plan["due_date"], plan["notify"], plan["data"]) == (due, False, {"note": "Start soon"})
    assert (plan["assigner_id"], plan["archived"], plan["enrolment_id"]) == ("staff-1", False, None)


def test_a_due_date_with_an_offset_is_stored_in_utc(plans: Plans) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "due_date": "2030-03-01T09:30:00+02:00"})

    assert plans.plan(plan_id)["due_date"] == "2030-03-01T07:30:00Z"


def test_notify_defaults_to_true(plans: Plans) -> None:
    plan_id = plans.assigned("u1", {"status": 1})

    assert plans.plan(plan_id)["notify"] is True


# --- who may assign -------------------------------------------------------------------------


def test_a_learner_may_assign_to_themselves(plans: Plans) -> None:
    answer = plans.assign("u1", token=learner_token("u1"))

    assert answer.status == 200
    assert plans.plan(answer.json()["id"])["assigner_id"] == "u1"


def test_self_stands_for_the_caller(plans: Plans) -> None:
    plan_id = plans.assigned("self", token=learner_token("u2"))

    assert plans.plan(plan_id)["user_id"] == "u2"


def test_a_manager_may_assign_to_a_user_who_lists_them_as_manager(plans: Plans) -> None:
    answer = plans.assign("u1", token=learner_token("mgr"))

    assert answer.status == 200


def test_a_manager_may_not_assign_to_a_user_they_do_not_manage(plans: Plans) -> None:
    answer = plans.assign("u3", token=learner_token("mgr"))

    assert answer.status == 403
    assert "message" in answer.json()


def test_a_portal_admin_may_assign_to_any_user_of_the_portal(plans: Plans) -> None:
    answer = plans.assign("u3", token=admin_token())

    assert answer.status == 200


def test_an_admin_of_another_portal_may_not_assign(plans: Plans) -> None:
    answer = plans.assign("u3", token=admin_token(portal_id=OTHER_PORTAL))

    assert answer.status == 403


def test_staff_may_assign_to_anyone(plans: Plans) -> None:
    answer = plans.assign("u3", token=tokens.staff())

    assert answer.status == 200


def test_a_learner_may_not_assign_to_another_learner(plans: Plans) -> None:
    answer = plans.assign("u2", token=learner_token("u1"))

    assert answer.status == 403


def test_without_a_token_the_answer_is_403(plans: Plans) -> None:
    answer = plans.api.post(f"/enrolment/plan/{PORTAL}/c1/user/u1", {"status": 1})

    assert answer.status == 403


def test_the_token_may_come_as_the_jwt_query_parameter(plans: Plans) -> None:
    answer = plans.api.post(f"/enrolment/plan/{PORTAL}/c1/user/self?jwt={learner_token('u1')}", {"status": 1})

    assert answer.status == 200


# --- staff-only fields ------------------------------------------------------------------------


@pytest.mark.parametrize("field", [{"source_type": "group"}, {"source_id": 1234}, {"assigner_id": 1234}])
def test_source_and_assigner_fields_need_a_staff_token(plans: Plans, field: dict[str, object]) -> None:
    answer = plans.assign("u1", {"status": 1, **field}, token=admin_token())

    assert answer.status == 403
    assert next(iter(field)) in answer.json()["message"]


def test_staff_may_set_the_source_and_the_assigner(plans: Plans) -> None:
    body = {"status": 1, "source_type": "group", "source_id": 1234, "assigner_id": 77}

    plan_id = plans.assigned("u1", body, token=tokens.staff())

    plan = plans.plan(plan_id)
    assert (plan["source_type"], plan["source_id"], plan["assigner_id"]) == ("group", 1234, "77")


# --- invalid input ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [0, 2, "assigned", None])
def test_a_status_other_than_assigned_is_400(plans: Plans, status: object) -> None:
    answer = plans.assign("u1", {"status": status})

    assert answer.status == 400
    assert "status" in answer.json()["message"]


def test_a_missing_status_is_400(plans: Plans) -> None:
    answer = plans.assign("u1", {"due_date": in_days(3)})

    assert answer.status == 400
    assert "status" in answer.json()["message"]


@pytest.mark.parametrize("version", [1, 3, -1, "2"])
def test_a_version_other_than_0_or_2_is_400(plans: Plans, version: object) -> None:
    answer = plans.assign("u1", {"status": 1, "version": version, "due_date": in_days(3)})

    assert answer.status == 400
    assert "version" in answer.json()["message"]


def test_version_2_without_a_due_date_is_400(plans: Plans) -> None:
    answer = plans.assign("u1", {"status": 1, "version": 2})

    assert answer.status == 400
    assert "due_date" in answer.json()["message"]


@pytest.mark.parametrize("due_date", ["next week", "2026-13-40T00:00:00Z", 12.5])
def test_a_due_date_that_is_not_a_datetime_is_400(plans: Plans, due_date: object) -> None:
    answer = plans.assign("u1", {"status": 1, "due_date": due_date})

    assert answer.status == 400
    assert "due_date" in answer.json()["message"]


def test_a_note_longer_than_255_characters_is_400(plans: Plans) -> None:
    answer = plans.assign("u1", {"status": 1, "data": {"note": "x" * 256}})

    assert answer.status == 400
    assert "note" in answer.json()["message"]


def test_a_note_of_255_characters_is_accepted(plans: Plans) -> None:
    answer = plans.assign("u1", {"status": 1, "data": {"note": "x" * 255}})

    assert answer.status == 200


def test_an_unknown_field_is_400(plans: Plans) -> None:
    answer = plans.assign("u1", {"status": 1, "due": in_days(3)})

    assert answer.status == 400
    assert "due" in answer.json()["message"]


def test_a_body_that_is_not_json_is_400(plans: Plans) -> None:
    answer = plans.api.request("POST", f"/enrolment/plan/{PORTAL}/c1/user/u1", raw="{status: 1", token=plans.staff)

    assert answer.status == 400


# --- what can be assigned, and where -------------------------------------------------------------


def test_a_module_cannot_be_assigned(plans: Plans) -> None:
    answer = plans.assign("u1", lo_id="m1")

    assert answer.status == 400
    assert answer.json() == {"message": "Assignment is not supported for this LO"}


@pytest.mark.parametrize("lo_type", ["learning_pathway", "course", "text", "video", "quiz", "scorm"])
def test_pathways_courses_and_single_learning_items_can_be_assigned(plans: Plans, given: Catalog, lo_type: str) -> None:
    given.learning_object("lo-x", lo_type, PORTAL)

    answer = plans.assign("u1", lo_id="lo-x")

    assert answer.status == 200


def test_an_unknown_portal_is_404(plans: Plans) -> None:
    answer = plans.assign("u1", instance="nowhere.example.com")

    assert answer.status == 404
    assert "nowhere.example.com" in answer.json()["message"]


def test_the_portal_may_be_named_by_its_name(plans: Plans) -> None:
    plan_id = plans.assigned("u1", instance=PORTAL_NAME)

    assert plans.plan(plan_id)["portal_id"] == PORTAL


def test_an_unknown_learning_object_is_404(plans: Plans) -> None:
    answer = plans.assign("u1", lo_id="nope")

    assert answer.status == 404


def test_a_learning_object_of_another_portal_is_404(plans: Plans, given: Catalog) -> None:
    given.portal(OTHER_PORTAL, "other.example.com")
    given.learning_object("c-other", "course", OTHER_PORTAL)

    answer = plans.assign("u1", lo_id="c-other")

    assert answer.status == 404


def test_a_marketplace_learning_object_can_be_assigned_in_any_portal(plans: Plans, given: Catalog) -> None:
    given.portal(OTHER_PORTAL, "other.example.com")
    given.learning_object("c-market", "course", OTHER_PORTAL, marketplace=True)

    answer = plans.assign("u1", lo_id="c-market")

    assert answer.status == 200


def test_an_unknown_user_is_404(plans: Plans) -> None:
    answer = plans.assign("nobody")

    assert answer.status == 404
    assert "nobody" in answer.json()["message"]


def test_a_user_of_another_portal_is_404(plans: Plans, given: Catalog) -> None:
    given.portal(OTHER_PORTAL, "other.example.com")
    given.user("elsewhere", OTHER_PORTAL)

    answer = plans.assign("elsewhere")

    assert answer.status == 404
