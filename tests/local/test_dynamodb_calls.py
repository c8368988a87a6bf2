"""The local stack's hooks for tests and benchmarks: DynamoDB calls per request, warm
containers, the session of the stack's own clients."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import boto3

from planhub_local import dynamodb_calls
from planhub_local import stack as local_stack
from planhub_local.stack import LocalStack
from tests.conftest import Api, Catalog


def test_a_request_s_dynamodb_calls_are_recorded_by_operation(api: Api, given: Catalog, staff_token: str) -> None:
    given.portal("p-acme")

    with dynamodb_calls.recorded() as calls:
        answer = api.get("/admin/portals/p-acme", token=staff_token)

    assert answer.status == 200
    assert calls.operations() == Counter({"GetItem": 1})
    assert calls[0].params["Key"]["PK"] == {"S": "PORTAL#p-acme"}
    assert calls[0].answer["Item"]["id"] == {"S": "p-acme"}


def test_a_refused_call_is_recorded_with_its_error(api: Api, given: Catalog, staff_token: str) -> None:
    given.portal("p-acme", name="acme.example.com")

    with dynamodb_calls.recorded() as calls:
        answer = api.put("/admin/portals/p-other", {"name": "acme.example.com", "title": "Other"}, token=staff_token)

    assert answer.status == 409
    assert calls[-1].operation == "TransactWriteItems"
    assert calls[-1].error == "TransactionCanceledException"


def test_a_recording_sees_only_the_calls_of_its_own_thread(api: Api, given: Catalog, staff_token: str) -> None:
    given.portal("p-acme")
    elsewhere: list[int] = []

    def other_request() -> None:
        elsewhere.append(api.get("/admin/portals/p-acme", token=staff_token).status)

    with dynamodb_calls.recorded() as calls:
        thread = threading.Thread(target=other_request)
        thread.start()
        thread.join()

    assert elsewhere == [200]
    assert calls == []


def test_forgotten_warm_containers_import_their_function_again(stack: LocalStack) -> None:
    warm = stack.runtime.module("GetPortalFunction")
    assert stack.runtime.module("GetPortalFunction") is warm

    local_stack.forget_warm_containers()

    assert stack.runtime.module("GetPortalFunction") is not warm


def test_the_stack_s_own_clients_come_from_the_session_chosen(stack: LocalStack) -> None:
    session = boto3.session.Session()
    seen: list[str] = []

    def record(event_name: str, **_: Any) -> None:
        seen.append(event_name)

    session.events.register("before-call.dynamodb", record)
    local_stack.use_session(session)
    try:
        LocalStack().dynamodb.list_tables()
    finally:
        local_stack.use_session(None)

    assert seen == ["before-call.dynamodb.ListTables"]
