"""template.yaml is the single source of truth: these checks keep code, events and
template from drifting apart."""

from __future__ import annotations

import json

import pytest

from planhub.events import EventType
from planhub_local.template import REPO, Template

TEMPLATE = Template()
FUNCTIONS = TEMPLATE.functions()
ASYNC_EVENT_TYPES = {"EventBridgeRule", "Schedule", "ScheduleV2"}


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_has_its_handler_module(logical_id: str) -> None:
    function = FUNCTIONS[logical_id]

    assert function.module_path.is_file(), f"{logical_id}: {function.module_path} is missing"
    assert f"def {function.handler_name}" in function.module_path.read_text() or (
        f"{function.handler_name} =" in function.module_path.read_text()
    )


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_has_a_sample_event(logical_id: str) -> None:
    sample = REPO / "events" / f"{logical_id}.json"

    assert sample.is_file(), f"events/{logical_id}.json is missing"
    json.loads(sample.read_text())


def test_every_rule_matches_event_types_the_code_publishes() -> None:
    published = {str(t) for t in EventType}

    for rule in TEMPLATE.rules():
        assert rule.pattern.get("source") == ["planhub"], rule.name
        unknown = set(rule.pattern.get("detail-type", [])) - published
        assert not unknown, f"{rule.name} waits for events nobody publishes: {unknown}"


@pytest.mark.parametrize(
    "logical_id",
    sorted(f for f, fn in FUNCTIONS.items() if any(e["Type"] in ASYNC_EVENT_TYPES for e in fn.events.values())),
)
def test_every_asynchronously_invoked_function_has_a_dead_letter_destination(logical_id: str) -> None:
    properties = TEMPLATE.resources[logical_id]["Properties"]

    on_failure = properties.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure", {})
    assert on_failure.get("Destination") == {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}
    for event in properties["Events"].values():
        if event["Type"] == "EventBridgeRule":
            assert event["Properties"]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}


@pytest.mark.parametrize("route", [r for r in TEMPLATE.routes() if r.method == "GET"], ids=lambda r: r.function)
def test_read_only_routes_get_a_read_only_policy(route: object) -> None:
    policies = TEMPLATE.resources[route.function]["Properties"].get("Policies", [])  # type: ignore[attr-defined]

    assert {"Ref": "TableWriteAccess"} not in policies


def test_no_function_gets_a_policy_that_allows_scan() -> None:
    for logical_id, resource in TEMPLATE.resources_of("AWS::Serverless::Function").items():
        for policy in resource["Properties"].get("Policies", []):
            assert not (isinstance(policy, dict) and {"DynamoDBCrudPolicy", "DynamoDBReadPolicy"} & set(policy)), (
                logical_id
            )
    for policy in TEMPLATE.resources_of("AWS::IAM::ManagedPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert "dynamodb:Scan" not in statement["Action"]


def test_the_table_keeps_its_history_and_streams_its_changes() -> None:
    properties = TEMPLATE.resources["Table"]["Properties"]

    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert properties["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_every_route_is_served_by_one_function() -> None:
    seen: dict[tuple[str, str], str] = {}

    for route in TEMPLATE.routes():
        key = (route.method, route.path)
        assert key not in seen, f"{key} is routed to {seen.get(key)} and {route.function}"
        seen[key] = route.function


def test_path_variables_at_one_level_share_one_name_as_api_gateway_requires() -> None:
    # API Gateway builds one resource tree: under a parent, all variable children are the
    # same resource, so two routes may not name the same level's variable differently.
    names: dict[tuple[str, ...], set[str]] = {}
    for route in TEMPLATE.routes():
        segments = route.path.strip("/").split("/")
        for depth, segment in enumerate(segments):
            if segment.startswith("{"):
                parent = tuple("{}" if s.startswith("{") else s for s in segments[:depth])
                names.setdefault(parent, set()).add(segment)

    clashes = {"/".join(parent): sorted(found) for parent, found in names.items() if len(found) > 1}
    assert not clashes, clashes


@pytest.mark.parametrize(
    "logical_id",
    sorted(f for f, fn in FUNCTIONS.items() if "STRIPE_SECRET_PARAMETER" in fn.environment),
)
def test_a_function_reading_the_stripe_secret_may_read_only_the_parameter_it_is_told(logical_id: str) -> None:
    properties = TEMPLATE.resources[logical_id]["Properties"]

    told = properties["Environment"]["Variables"]["STRIPE_SECRET_PARAMETER"]
    readable = [p["SSMParameterReadPolicy"] for p in properties["Policies"] if "SSMParameterReadPolicy" in p]
    assert told == {"Fn::Sub": "/${StripeSecretParameterName}"}
    assert readable == [{"ParameterName": {"Ref": "StripeSecretParameterName"}}]
    assert FUNCTIONS[logical_id].environment["STRIPE_SECRET_PARAMETER"] == "/planhub/stripe-secret-key"
