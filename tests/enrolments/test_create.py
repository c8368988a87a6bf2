"""Enrolling the caller in one learning object (the create seed's single request)."""

from __future__ import annotations

from planhub.storage import Table
from planhub.storage import keys as table_keys
from planhub_local import tokens
from planhub_local.stack import LocalStack
from tests.conftest import Api, Catalog, Published
from tests.enrolments.conftest import PORTAL, Learning, enrolment_path


def test_a_learner_enrols_in_a_course_and_gets_its_id(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post(enrolment_path("c1"), {}, token=token)

    assert answer.status == 200
    enrolment_id = answer.json()["id"]
    assert isinstance(enrolment_id, int)
    stored = learning.enrolment(enrolment_id)
    assert (stored["user_id"], stored["lo_id"], stored["status"]) == ("u1", "c1", "in-progress")
    assert stored["archived"] is False


def test_the_portal_may_be_named_instead_of_given_by_id(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post("/enrolment/acme.example.com/0/c1/enrolment/in-progress", {}, token=token)

    assert answer.status == 200
    assert learning.enrolment(answer.json()["id"])["portal_id"] == PORTAL


def test_a_request_without_a_body_starts_the_enrolment_in_the_path_status(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post(enrolment_path("c1", status="not-started"), token=token)

    assert answer.status == 200
    assert learning.enrolment(answer.json()["id"])["status"] == "not-started"


def test_an_enrolment_may_start_in_each_status_of_the_seed(api: Api, learning: Learning) -> None:
    statuses = ["not-started", "in-progress", "pending", "completed"]
    for number, _ in enumerate(statuses):
        learning.given.learning_object(f"t{number}", "text", PORTAL)
    token = learning.learner("u1")

    stored = [
        learning.enrolment(learning.enrol(token, f"t{number}", status=status))["status"]
        for number, status in enumerate(statuses)
    ]

    assert stored == statuses


def test_an_enrolment_created_completed_gets_its_end_date(learning: Learning) -> None:
    learning.given.learning_object("t1", "text", PORTAL)
    token = learning.learner("u1")

    enrolment_id = learning.enrol(token, "t1", status="completed")

    assert learning.enrolment(enrolment_id)["end_date"] is not None


def test_a_status_outside_the_seeds_list_is_400_naming_it(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    for status in ("expired", "done"):
        answer = api.post(enrolment_path("c1", status=status), {}, token=token)

        assert answer.status == 400
        assert "statusOrEmail" in answer.json()["message"]


def test_an_unknown_portal_is_404(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post("/enrolment/nowhere/0/c1/enrolment/in-progress", {}, token=token)

    assert answer.status == 404
    assert answer.json() == {"message": "Portal nowhere not found"}


def test_an_unknown_learning_object_is_404(api: Api, learning: Learning) -> None:
    token = learning.learner("u1")

    answer = api.post(enrolment_path("nothing"), {}, token=token)

    assert answer.status == 404


def test_a_learning_object_of_another_portal_is_404(api: Api, learning: Learning) -> None:
    learning.given.portal("p-other", "other.example.com")
    learning.given.learning_object("elsewhere", "course", "p-other")
    token = learning.learner("u1")

    answer = api.post(enrolment_path("elsewhere"), {}, token=token)

    assert answer.status == 404


def test_a_marketplace_learning_object_may_be_enrolled_in_from_any_portal(api: Api, learning: Learning) -> None:
    learning.given.portal("p-other", "other.example.com")
    learning.given.learning_object("shared", "video", "p-other", marketplace=True)
    token = learning.learner("u1")

    answer = api.post(enrolment_path("shared"), {}, token=token)

    assert answer.status == 200


def test_a_caller_who_is_not_a_user_of_the_portal_may_not_enrol(api: Api, learning: Learning) -> None:
    learning.course_tree()
    stranger = tokens.token("u-stranger")

    answer = api.post(enrolment_path("c1"), {}, token=stranger)

    assert answer.status == 403


def test_a_request_without_a_token_is_403_as_the_seed_says(api: Api, learning: Learning) -> None:
    learning.course_tree()

    answer = api.post(enrolment_path("c1"), {})

    assert answer.status == 403


def test_an_unknown_body_field_is_400_naming_it(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post(enrolment_path("c1"), {"dueDat": "2030-01-01T00:00:00Z"}, token=token)

    assert answer.status == 400
    assert "body.dueDat" in answer.json()["message"]


def test_a_date_that_is_not_an_iso_8601_string_is_400_naming_it(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    for bad in ("next week", 1500000000):
        answer = api.post(enrolment_path("c1"), {"dueDate": bad}, token=token)

        assert answer.status == 400
        assert "body.dueDate" in answer.json()["message"]


def test_dates_and_data_are_stored_with_dates_in_utc(learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    body = {
        "dueDate": "2017-08-03T09:30:38+0000",
        "startDate": "2016-10-17T13:04:33+0700",
        "data": {"custom_certificate": "https://certificates.example.com/1"},
    }

    enrolment_id = learning.enrol(token, "c1", body=body)

    stored = learning.enrolment(enrolment_id)
    assert stored["due_date"] == "2017-08-03T09:30:38Z"
    assert stored["start_date"] == "2016-10-17T06:04:33Z"
    assert stored["data"] == {"custom_certificate": "https://certificates.example.com/1"}


def test_a_re_enrol_flag_other_than_0_or_1_is_400(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    answer = api.post(enrolment_path("c1"), {"reEnrol": 2}, token=token)

    assert answer.status == 400
    assert "body.reEnrol" in answer.json()["message"]


# --- an active enrolment, and re-enrolling ---------------------------------------------------


def test_an_active_enrolment_is_answered_with_its_id(api: Api, learning: Learning, published: Published) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    first = learning.enrol(token, "c1")

    again = api.post(enrolment_path("c1", status="completed"), {}, token=token)

    assert again.json() == {"id": first}
    assert learning.enrolment(first)["status"] == "in-progress"
    assert len(published.events("enrolment created")) == 1


def test_re_enrol_archives_the_active_enrolment_and_creates_a_new_one(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    first = learning.enrol(token, "c1", status="completed")

    answer = api.post(enrolment_path("c1"), {"reEnrol": 1}, token=token)

    second = answer.json()["id"]
    assert second != first
    old = learning.enrolment(first)
    assert (old["archived"], old["archived_by"], old["status"]) == (True, "u1", "completed")
    assert old["archived_at"] is not None
    assert learning.enrolment(second)["archived"] is False
    assert api.post(enrolment_path("c1"), {}, token=token).json() == {"id": second}


def test_an_archived_enrolment_cannot_be_updated(api: Api, learning: Learning) -> None:
    learning.course_tree()
    token = learning.learner("u1")
    first = learning.enrol(token, "c1")
    learning.enrol(token, "c1", body={"reEnrol": True})

    answer = api.put(f"/enrolment/enrolment/{first}", {"note": "late"}, token=learning.given.staff)

    assert answer.status == 409


def test_concurrent_enrolments_in_the_same_lo_end_with_one_active_enrolment(api: Api, learning: Learning) -> None:
    from concurrent.futures import ThreadPoolExecutor

    learning.course_tree()
    token = learning.learner("u1")

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: api.post(enrolment_path("c1"), {}, token=token), range(6)))

    assert {a.status for a in answers} == {200}
    assert len({a.json()["id"] for a in answers}) == 1


# --- events and plans -----------------------------------------------------------------------


def test_an_enrolment_publishes_enrolment_created(learning: Learning, published: Published) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    enrolment_id = learning.enrol(token, "c1", body={"notify": False})

    [created] = published.events("enrolment created")
    assert created["actor"] == "u1"
    assert created["data"]["id"] == enrolment_id
    assert (created["data"]["lo_id"], created["data"]["user_id"], created["data"]["notify"]) == ("c1", "u1", False)


def test_an_enrolment_links_the_users_active_plan_for_the_lo(stack: LocalStack, learning: Learning) -> None:
    # Given a plan of u1 for c1, as the plans area stores it (docs/architecture.md's contract)
    learning.course_tree()
    token = learning.learner("u1")
    table = Table(stack.table_name)
    table.put({**table_keys.plan(4242), "entity": "plan", "id": 4242, "portal_id": PORTAL, "user_id": "u1"})
    table.put({**table_keys.active_plan(PORTAL, "u1", "c1"), "entity": "active_plan", "plan_id": 4242})

    enrolment_id = learning.enrol(token, "c1")

    assert learning.enrolment(enrolment_id)["plan_id"] == 4242
    plan = table.get(table_keys.plan(4242))
    assert plan is not None and plan["enrolment_id"] == enrolment_id


def test_without_a_plan_the_enrolment_has_no_plan_id(learning: Learning, given: Catalog) -> None:
    learning.course_tree()
    token = learning.learner("u1")

    enrolment_id = learning.enrol(token, "c1")

    assert learning.enrolment(enrolment_id)["plan_id"] is None


def test_a_token_with_a_bad_signature_is_403_as_the_seed_says(api: Api, learning: Learning) -> None:
    learning.course_tree()
    forged = tokens.sign({"sub": "u1", "exp": 4102444800}, key="not-the-secret-of-this-deployment-0123456789")

    answer = api.post(enrolment_path("c1"), {}, token=forged)

    assert answer.status == 403


def test_concurrent_enrolments_of_different_learners_each_enrol_their_own_caller(api: Api, learning: Learning) -> None:
    from concurrent.futures import ThreadPoolExecutor

    learning.course_tree()
    callers = {f"u{n}": learning.learner(f"u{n}") for n in range(8)}

    with ThreadPoolExecutor(max_workers=8) as pool:
        posted = pool.map(lambda t: api.post(enrolment_path("c1"), {}, token=t), callers.values())
        answers = dict(zip(callers, posted, strict=True))

    assert [a.status for a in answers.values()] == [200] * 8, [a.body for a in answers.values()]

    assert {user: learning.enrolment(a.json()["id"])["user_id"] for user, a in answers.items()} == {
        user: user for user in callers
    }
