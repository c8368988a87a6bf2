"""Everyday enrolment operations (docs/product.md "Everyday operations"): a user's enrolments, their active enrolment
of an LO, and withdrawing an enrolment with its children."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from planhub.enrolments.models import Enrolment, EnrolmentStatus
from planhub.storage import Table
from planhub.storage import keys as table_keys
from planhub_local import tokens
from planhub_local.dynamodb_calls import recorded
from planhub_local.stack import LocalStack
from tests.conftest import Api, Published
from tests.enrolments.conftest import (
    PORTAL,
    PORTAL_NAME,
    Learning,
    admin_token,
    before_the_next_transaction,
    enrolment_path,
)

OTHER_PORTAL_ADMIN = tokens.token("admin-2", roles={"p-other": ["admin"]})


def listed(api: Api, token: str, query: str = "", user: str = "u1") -> list[dict]:
    answer = api.get(f"/enrolment/{PORTAL}/user/{user}/enrolments{query}", token=token)
    assert answer.status == 200, answer.body
    return list(answer.json()["data"])


def given_three_enrolments(learning: Learning) -> tuple[str, dict[str, int]]:
    for lo in ("t1", "t2", "t3"):
        learning.given.learning_object(lo, "text", PORTAL)
    token = learning.learner("u1", managers=["boss"])
    ids = {
        "t1": learning.enrol(token, "t1", status="not-started"),
        "t2": learning.enrol(token, "t2"),
        "t3": learning.enrol(token, "t3", status="completed"),
    }
    return token, ids


# --- a user's enrolments --------------------------------------------------------------------


def test_the_user_lists_their_active_enrolments(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)

    found = listed(api, token)

    assert sorted(e["id"] for e in found) == sorted(ids.values())
    assert all(e["archived"] is False for e in found)


def test_status_and_lo_filter_the_list(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)

    assert [e["id"] for e in listed(api, token, "?status=completed")] == [ids["t3"]]
    assert [e["id"] for e in listed(api, token, "?lo_id=t2")] == [ids["t2"]]
    assert [e["id"] for e in listed(api, token, "?status=in-progress&lo_id=t2")] == [ids["t2"]]
    assert listed(api, token, "?status=in-progress&lo_id=t1") == []


def test_archived_lists_the_enrolments_re_enrolment_replaced(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)
    again = learning.enrol(token, "t2", body={"reEnrol": 1})

    assert [e["id"] for e in listed(api, token, "?archived=true")] == [ids["t2"]]
    assert [e["id"] for e in listed(api, token, "?archived=true&lo_id=t2")] == [ids["t2"]]
    assert [e["id"] for e in listed(api, token, "?lo_id=t2")] == [again]


def test_a_status_change_moves_the_enrolment_to_its_new_status_list(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)

    assert api.put(f"/enrolment/enrolment/{ids['t1']}", {"status": "completed"}, token=token).status == 204

    assert sorted(e["id"] for e in listed(api, token, "?status=completed")) == sorted([ids["t1"], ids["t3"]])
    assert listed(api, token, "?status=not-started") == []


def test_pages_follow_the_cursor_to_the_end(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)
    seen: list[int] = []
    cursor = ""
    for _ in range(5):
        answer = api.get(f"/enrolment/{PORTAL}/user/u1/enrolments?limit=2{cursor}", token=token)
        assert answer.status == 200
        seen += [e["id"] for e in answer.json()["data"]]
        if answer.json()["cursor"] is None:
            break
        cursor = f"&cursor={answer.json()['cursor']}"

    assert sorted(seen) == sorted(ids.values())


def test_a_cursor_of_other_filters_or_a_made_up_one_is_400(api: Api, learning: Learning) -> None:
    token, _ = given_three_enrolments(learning)
    page = api.get(f"/enrolment/{PORTAL}/user/u1/enrolments?limit=1", token=token).json()

    for query in (f"?lo_id=t1&cursor={page['cursor']}", "?cursor=bm90LWEtY3Vyc29y"):
        assert api.get(f"/enrolment/{PORTAL}/user/u1/enrolments{query}", token=token).status == 400


def test_each_list_is_one_query_on_an_index_and_never_a_scan_or_a_filter(api: Api, learning: Learning) -> None:
    token, _ = given_three_enrolments(learning)

    for query in ("", "?status=completed", "?lo_id=t1", "?status=completed&lo_id=t3", "?archived=true"):
        with recorded() as calls:
            assert api.get(f"/enrolment/{PORTAL}/user/u1/enrolments{query}", token=token).status == 200
        queries = [c for c in calls if c.operation == "Query"]
        assert calls.operations() == {"BatchGetItem": 1, "Query": 1}, query
        assert "FilterExpression" not in queries[0].params
        assert queries[0].params["IndexName"] in ("GSI1", "GSI2")


def test_managers_admins_and_staff_list_the_users_enrolments_others_may_not(api: Api, learning: Learning) -> None:
    given_three_enrolments(learning)

    for token in (tokens.token("boss"), admin_token(), tokens.staff()):
        assert len(listed(api, token)) == 3
    for token in (tokens.token("u2", roles={PORTAL: ["learner"]}), OTHER_PORTAL_ADMIN):
        assert api.get(f"/enrolment/{PORTAL}/user/u1/enrolments", token=token).status == 403


def test_the_portal_may_be_named_and_an_unknown_one_is_404(api: Api, learning: Learning) -> None:
    token, _ = given_three_enrolments(learning)

    named = api.get(f"/enrolment/{PORTAL_NAME}/user/u1/enrolments", token=token)
    assert named.status == 200 and len(named.json()["data"]) == 3
    assert api.get("/enrolment/nowhere/user/u1/enrolments", token=token).status == 404


def test_a_bad_status_filter_is_400(api: Api, learning: Learning) -> None:
    token, _ = given_three_enrolments(learning)

    answer = api.get(f"/enrolment/{PORTAL}/user/u1/enrolments?status=done", token=token)

    assert answer.status == 400
    assert "status" in answer.json()["message"]


# --- the active enrolment of an LO ----------------------------------------------------------------


def test_the_active_enrolment_of_an_lo_is_answered(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)

    answer = api.get(f"/enrolment/{PORTAL}/lo/t2/user/u1", token=token)

    assert answer.status == 200
    assert answer.json()["id"] == ids["t2"]
    assert answer.header("ETag") == api.get(f"/enrolment/enrolment/{ids['t2']}", token=token).header("ETag")


def test_no_active_enrolment_is_404_and_a_stranger_is_403(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)
    learning.enrol(token, "t2", body={"reEnrol": 1})

    assert api.get(f"/enrolment/{PORTAL}/lo/nothing/user/u1", token=token).status == 404
    assert api.get(f"/enrolment/{PORTAL}/lo/t2/user/u1", token=token).json()["id"] != ids["t2"]
    assert api.get(f"/enrolment/{PORTAL}/lo/t2/user/u1", token=OTHER_PORTAL_ADMIN).status == 403
    assert api.get(f"/enrolment/{PORTAL}/lo/nothing/user/u1", token=OTHER_PORTAL_ADMIN).status == 403


# --- withdraw -----------------------------------------------------------------------------------


def test_a_manager_withdraws_a_course_and_its_open_children_are_archived(api: Api, learning: Learning) -> None:
    learning.course_tree(modules={"m1": ["i1", "i2"]})
    token = learning.learner("u1", managers=["boss"])
    course = learning.enrol(token, "c1")
    module = learning.enrol(token, "m1", parent_lo="c1", parent_enrolment=course)
    done = learning.enrol(token, "i1", parent_lo="m1", parent_enrolment=module, status="completed")
    open_item = learning.enrol(token, "i2", parent_lo="m1", parent_enrolment=module)

    answer = api.delete(f"/enrolment/enrolment/{course}", token=tokens.token("boss"))

    assert answer.status == 204
    archived = {e: learning.enrolment(e)["archived"] for e in (course, module, done, open_item)}
    assert archived == {course: True, module: True, done: False, open_item: True}
    assert learning.enrolment(course)["archived_by"] == "boss"
    assert sorted(e["id"] for e in listed(api, token, "?archived=true")) == sorted([course, module, open_item])
    assert api.get(f"/enrolment/{PORTAL}/lo/c1/user/u1", token=token).status == 404
    # The user may enrol again: the active ref is gone.
    assert api.post(enrolment_path("c1"), {}, token=token).json()["id"] != course


def test_a_completed_enrolment_stays_409(api: Api, learning: Learning) -> None:
    _, ids = given_three_enrolments(learning)

    answer = api.delete(f"/enrolment/enrolment/{ids['t3']}", token=admin_token())

    assert answer.status == 409
    assert learning.enrolment(ids["t3"])["archived"] is False


def test_withdrawing_twice_is_409_and_an_unknown_enrolment_404(api: Api, learning: Learning) -> None:
    _, ids = given_three_enrolments(learning)

    assert api.delete(f"/enrolment/enrolment/{ids['t1']}", token=tokens.staff()).status == 204
    assert api.delete(f"/enrolment/enrolment/{ids['t1']}", token=tokens.staff()).status == 409
    assert api.delete("/enrolment/enrolment/12345", token=tokens.staff()).status == 404


def test_the_learner_and_strangers_may_not_withdraw(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)

    for caller in (token, tokens.token("u2", roles={PORTAL: ["learner"]}), OTHER_PORTAL_ADMIN):
        assert api.delete(f"/enrolment/enrolment/{ids['t1']}", token=caller).status == 403
    assert learning.enrolment(ids["t1"])["archived"] is False


def test_a_withdrawal_is_announced_once(learning: Learning, api: Api, published: Published) -> None:
    _, ids = given_three_enrolments(learning)

    assert api.delete(f"/enrolment/enrolment/{ids['t1']}", token=admin_token()).status == 204

    withdrawn = published.events("enrolment withdrawn")
    assert [e["data"]["withdrawn_enrolment_ids"] for e in withdrawn] == [[ids["t1"]]]


# --- ids ----------------------------------------------------------------------------------------


def test_new_ids_are_javascript_safe_and_an_id_stored_before_keeps_working(
    api: Api, learning: Learning, stack: LocalStack
) -> None:
    token, ids = given_three_enrolments(learning)
    assert all(0 < i <= 2**53 - 1 for i in ids.values())
    old_id = 912_721_887_182_328_033  # made by the milliseconds << 22 scheme, above 2^53
    learning.given.learning_object("t9", "text", PORTAL)
    now = datetime.now(UTC)
    old = Enrolment(
        id=old_id,
        portal_id=PORTAL,
        user_id="u1",
        lo_id="t9",
        status=EnrolmentStatus.IN_PROGRESS,
        created_at=now,
        created_by="u1",
        updated_at=now,
    )
    table = Table(stack.table_name)
    table.put(old.to_item())
    table.put({**table_keys.active_enrolment(PORTAL, "u1", "t9"), "entity": "active_enrolment", "enrolment_id": old_id})

    assert api.get(f"/enrolment/enrolment/{old_id}", token=token).json()["id"] == old_id
    assert api.put(f"/enrolment/enrolment/{old_id}", {"note": "still here"}, token=token).status == 204
    assert [e["id"] for e in listed(api, token, "?lo_id=t9")] == [old_id]
    assert api.get(f"/enrolment/{PORTAL}/lo/t9/user/u1", token=token).json()["id"] == old_id
    assert api.delete(f"/enrolment/enrolment/{old_id}", token=admin_token()).status == 204


def test_concurrent_enrolments_get_distinct_ids(api: Api, learning: Learning) -> None:
    los = [f"t{n}" for n in range(12)]
    for lo in los:
        learning.given.learning_object(lo, "text", PORTAL)
    token = learning.learner("u1")
    answers: dict[str, int] = {}

    def enrol(lo: str) -> None:
        answer = api.post(enrolment_path(lo), {}, token=token)
        assert answer.status == 200, answer.body
        answers[lo] = answer.json()["id"]

    workers = [threading.Thread(target=enrol, args=(lo,)) for lo in los]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(set(answers.values())) == len(los)
    assert all(0 < i <= 2**53 - 1 for i in answers.values())


# --- ETag and If-Match ----------------------------------------------------------------------------


def test_get_answers_an_etag_and_a_put_with_it_succeeds(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)
    read = api.get(f"/enrolment/enrolment/{ids['t1']}", token=token)
    etag = read.header("ETag")
    assert etag == f'"{read.json()["version"]}"'

    answer = api.put(f"/enrolment/enrolment/{ids['t1']}", {"note": "mine"}, token=token, headers={"If-Match": etag})

    assert answer.status == 204
    after = api.get(f"/enrolment/enrolment/{ids['t1']}", token=token)
    assert after.json()["note"] == "mine"
    assert after.header("ETag") != etag


def test_a_stale_if_match_is_412_and_changes_nothing(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)
    path = f"/enrolment/enrolment/{ids['t1']}"
    stale = api.get(path, token=token).header("ETag")
    assert api.put(path, {"note": "someone else"}, token=tokens.token("boss")).status == 204
    before = api.get(path, token=token).json()

    answer = api.put(path, {"duration": 5}, token=token, headers={"if-match": stale or ""})

    assert answer.status == 412
    assert "If-Match" in answer.json()["message"]
    assert api.get(path, token=token).json() == before


def test_if_match_refused_by_the_write_itself_is_412_not_a_merge(
    api: Api, learning: Learning, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, ids = given_three_enrolments(learning)
    path = f"/enrolment/enrolment/{ids['t1']}"
    etag = api.get(path, token=token).header("ETag") or ""
    before_the_next_transaction(monkeypatch, lambda: api.put(path, {"note": "meanwhile"}, token=tokens.token("boss")))

    answer = api.put(path, {"duration": 5}, token=token, headers={"If-Match": etag})

    assert answer.status == 412
    assert api.get(path, token=token).json()["duration"] is None


def test_without_if_match_a_change_to_other_fields_is_merged_as_before(api: Api, learning: Learning) -> None:
    token, ids = given_three_enrolments(learning)
    path = f"/enrolment/enrolment/{ids['t1']}"
    assert api.put(path, {"note": "someone else"}, token=tokens.token("boss")).status == 204

    assert api.put(path, {"duration": 5}, token=token).status == 204
    assert api.put(path, {"duration": 6}, token=token, headers={"If-Match": "*"}).status == 204
    assert api.put(path, {"duration": 7}, token=token, headers={"If-Match": 'W/"1", "999"'}).status == 412


def test_a_plan_reassignment_that_archives_the_enrolment_moves_it_to_the_archived_list(
    api: Api, learning: Learning
) -> None:
    token, ids = given_three_enrolments(learning)
    assign = f"/enrolment/plan/{PORTAL}/t2/user/u1"
    assert api.post(assign, {"status": 1, "notify": False}, token=admin_token()).status == 200

    again = {"status": 1, "version": 2, "due_date": "2031-01-31T17:00:00Z", "notify": False}
    assert api.post(assign, again, token=admin_token()).status == 200

    assert learning.enrolment(ids["t2"])["archived"] is True
    assert [e["id"] for e in listed(api, token, "?archived=true&lo_id=t2")] == [ids["t2"]]
    assert [e["id"] for e in listed(api, token, "?archived=true&status=in-progress")] == [ids["t2"]]
    assert ids["t2"] not in [e["id"] for e in listed(api, token)]


def test_a_withdrawal_that_meets_a_concurrent_change_is_409_and_archives_nothing(
    api: Api, learning: Learning, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, ids = given_three_enrolments(learning)
    path = f"/enrolment/enrolment/{ids['t1']}"
    before_the_next_transaction(monkeypatch, lambda: api.put(path, {"note": "meanwhile"}, token=token))

    answer = api.delete(path, token=admin_token())

    assert answer.status == 409
    assert learning.enrolment(ids["t1"])["archived"] is False
    assert learning.enrolment(ids["t1"])["note"] == "meanwhile"
