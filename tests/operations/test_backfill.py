"""`python -m operations.backfill`: plans and enrolments stored before the user's lists existed
join them; a second run changes nothing; a concurrent change is never overwritten; a stopped
run goes on from its state file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from operations.backfill import DONE, RACE_ATTEMPTS, Counts, backfill, backfill_item
from planhub.storage import keys as table_keys
from planhub.storage.keys import Key
from planhub.storage.table import ConditionFailed, Expression, Table
from planhub_local import tokens
from planhub_local.client import Api
from planhub_local.stack import LocalStack
from tests.conftest import Catalog
from tests.enrolments.conftest import Learning
from tests.plans.conftest import PORTAL, Plans, in_days

LIST_ATTRIBUTES = ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK")
MANAGER = tokens.token("mgr", roles={PORTAL: ["manager"]})


def as_stored_before_the_lists(stack: LocalStack, key: Key, *names: str) -> None:
    """Takes the list attributes off an item, as an older release wrote it."""
    removed = names or LIST_ATTRIBUTES
    stack.dynamodb.update_item(
        TableName=stack.table_name,
        Key={"PK": {"S": key["PK"]}, "SK": {"S": key["SK"]}},
        UpdateExpression="REMOVE " + ", ".join(removed),
    )


def stored(stack: LocalStack, key: Key) -> dict[str, Any]:
    answer = stack.dynamodb.get_item(TableName=stack.table_name, Key={"PK": {"S": key["PK"]}, "SK": {"S": key["SK"]}})
    return {name: next(iter(value.values())) for name, value in answer["Item"].items()}


def user_plans(api: Api, query: str = "") -> list[str]:
    answer = api.get(f"/enrolment/plan/{PORTAL}/user/u1{query}", token=tokens.staff())
    assert answer.status == 200, answer.body
    return [str(plan["id"]) for plan in answer.json()["data"]]


def user_enrolments(api: Api, query: str = "") -> list[int]:
    answer = api.get(f"/enrolment/{PORTAL}/user/u1/enrolments{query}", token=tokens.staff())
    assert answer.status == 200, answer.body
    return [int(enrolment["id"]) for enrolment in answer.json()["data"]]


def quiet(_line: str) -> None:
    pass


@pytest.fixture
def plans(api: Api, given: Catalog, stack: LocalStack) -> Plans:
    steps = Plans(api, given, stack)
    steps.world()
    return steps


def test_old_plans_and_enrolments_join_the_lists_and_a_second_run_updates_nothing(
    api: Api, stack: LocalStack, plans: Plans
) -> None:
    # Given a plan due in 3 days, an undated plan archived, and an enrolment, all stored without list attributes
    plans.given.learning_object("c2", "course", PORTAL)
    dated = plans.assigned("u1", {"status": 1, "due_date": in_days(3), "notify": False})
    undated = plans.assigned("u1", {"status": 1, "notify": False}, lo_id="c2")
    assert api.delete(f"/enrolment/plan/{undated}", token=plans.staff).status == 204
    learning = Learning(api, plans.given)
    enrolment = learning.enrol(tokens.token("u1", roles={PORTAL: ["learner"]}), "c2")
    for plan_id in (dated, undated):
        as_stored_before_the_lists(stack, table_keys.plan(int(plan_id)))
    as_stored_before_the_lists(stack, table_keys.enrolment(enrolment))
    assert user_plans(api, "?archived=true") == [] and user_enrolments(api) == []

    # When the backfill runs, twice
    first = backfill(stack.dynamodb, stack.table_name, segments=3, page_size=7, out=quiet)
    second = backfill(stack.dynamodb, stack.table_name, segments=3, page_size=7, out=quiet)

    # Then they are on the lists, where they belong, and the second run found nothing to do
    assert user_plans(api) == [dated]
    assert user_plans(api, "?archived=true") == [dated, undated]
    assert user_plans(api, "?lo_id=c1") == [dated]
    assert user_enrolments(api) == [enrolment]
    assert user_enrolments(api, "?lo_id=c2&status=in-progress") == [enrolment]
    assert (first.updated, first.raced, first.invalid) == (3, 0, [])
    assert first.scanned > first.updated + first.skipped  # every item read, plans and enrolments backfilled
    assert (second.updated, second.skipped, second.raced) == (0, first.updated + first.skipped, 0)


def test_an_item_missing_only_some_attributes_gets_only_those(api: Api, stack: LocalStack, plans: Plans) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})
    key = table_keys.plan(int(plan_id))
    before = stored(stack, key)
    as_stored_before_the_lists(stack, key, "GSI3PK", "GSI3SK")

    counts = backfill(stack.dynamodb, stack.table_name, segments=1, out=quiet)

    assert counts.updated == 1
    assert stored(stack, key) == before
    assert user_plans(api, "?lo_id=c1") == [plan_id]


def test_a_concurrent_change_is_kept_and_the_attributes_follow_it(api: Api, stack: LocalStack, plans: Plans) -> None:
    # Given an old enrolment in progress
    learning = Learning(api, plans.given)
    enrolment = learning.enrol(tokens.token("u1", roles={PORTAL: ["learner"]}), "c1")
    key = table_keys.enrolment(enrolment)
    as_stored_before_the_lists(stack, key)

    # When its manager completes it between the backfill's Scan and its update
    class CompletedAfterTheScan:
        def __init__(self, client: Any) -> None:
            self.client = client
            self.changed = False

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        def scan(self, **params: Any) -> Any:
            answer = self.client.scan(**params)
            if not self.changed and any(item["PK"]["S"] == key["PK"] for item in answer.get("Items", [])):
                self.changed = True
                update = api.put(f"/enrolment/enrolment/{enrolment}", {"status": "completed"}, token=MANAGER)
                assert update.status == 204, update.body
            return answer

    counts = backfill(CompletedAfterTheScan(stack.dynamodb), stack.table_name, segments=2, out=quiet)

    # Then the completion stands, and the enrolment is listed as completed
    assert counts.raced == 1 and counts.updated == 1
    item = stored(stack, key)
    assert (item["status"], item["version"]) == ("completed", "2")
    assert user_enrolments(api, "?status=completed") == [enrolment]
    assert user_enrolments(api, "?status=in-progress") == []


def test_a_stopped_run_goes_on_from_its_state_file(api: Api, stack: LocalStack, plans: Plans, tmp_path: Path) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})
    as_stored_before_the_lists(stack, table_keys.plan(int(plan_id)))
    state = tmp_path / "backfill.json"
    lines: list[str] = []

    backfill(stack.dynamodb, stack.table_name, segments=2, page_size=5, state=state, out=lines.append)
    positions = json.loads(state.read_text())["positions"]
    again = backfill(stack.dynamodb, stack.table_name, segments=2, state=state, out=quiet)

    assert positions == {"0": DONE, "1": DONE}
    assert any('"PK"' in line for line in lines)  # the pages' LastEvaluatedKey, printed
    assert (again.scanned, again.updated) == (0, 0)  # both segments were done
    assert user_plans(api) == [plan_id]


def test_a_run_resumes_a_segment_from_its_last_evaluated_key(stack: LocalStack, plans: Plans, tmp_path: Path) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})
    as_stored_before_the_lists(stack, table_keys.plan(int(plan_id)))
    everything = stack.dynamodb.scan(TableName=stack.table_name)["Items"]
    last = max(everything, key=lambda item: item["PK"]["S"] == table_keys.plan(int(plan_id))["PK"])
    state = tmp_path / "backfill.json"
    # A state file whose one segment stopped right after the old plan: it is not read again
    state.write_text(json.dumps({"segments": 1, "positions": {"0": {"PK": last["PK"], "SK": last["SK"]}}}))

    counts = backfill(stack.dynamodb, stack.table_name, segments=1, state=state, out=quiet)

    assert counts.scanned < len(everything) and counts.updated == 0
    assert json.loads(state.read_text())["positions"] == {"0": DONE}


def test_a_dry_run_counts_and_changes_nothing(api: Api, stack: LocalStack, plans: Plans, tmp_path: Path) -> None:
    plan_id = plans.assigned("u1", {"status": 1, "notify": False})
    as_stored_before_the_lists(stack, table_keys.plan(int(plan_id)))
    state = tmp_path / "backfill.json"

    counts = backfill(stack.dynamodb, stack.table_name, segments=2, state=state, dry_run=True, out=quiet)

    assert counts.updated == 1
    assert user_plans(api) == []
    assert not state.exists()


def test_an_item_changed_on_every_attempt_is_counted_left_not_dropped(stack: LocalStack, plans: Plans) -> None:
    # Given an old plan, and a table where it changes again before each update
    key = table_keys.plan(int(plans.assigned("u1", {"status": 1, "notify": False})))
    as_stored_before_the_lists(stack, key)
    item = Table(stack.table_name, stack.dynamodb).get(key)
    assert item is not None

    class AlwaysChanged(Table):
        def __init__(self) -> None:
            self.updates = 0

        def update(self, key: Key, update: Expression, condition: Expression | None = None) -> dict[str, Any]:
            self.updates += 1
            raise ConditionFailed(dict(item))  # type: ignore[arg-type]  # checked above

    table, counts = AlwaysChanged(), Counts()

    # When the backfill works on it
    backfill_item(table, item, counts)

    # Then it tried RACE_ATTEMPTS times, and the item is counted as left for the next run
    assert table.updates == RACE_ATTEMPTS
    assert (counts.raced, counts.updated, counts.left) == (RACE_ATTEMPTS, 0, 1)
    assert "left 1" in counts.summary()
