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
    assert told == {"Fn::Sub": "/${StripeSecretParameterName}"}
    assert {"Ref": "StripeSecretReadAccess"} in properties["Policies"]
    assert not [p for p in properties["Policies"] if "SSMParameterReadPolicy" in p]
    assert FUNCTIONS[logical_id].environment["STRIPE_SECRET_PARAMETER"] == "/planhub/stripe-secret-key"


# --- production limits (issue 16; docs/decisions/production-limits.md) ---------------------------


@pytest.mark.parametrize("logical_id", sorted({r.function for r in TEMPLATE.routes()}))
def test_every_api_function_answers_before_api_gateway_gives_up(logical_id: str) -> None:
    assert FUNCTIONS[logical_id].timeout < 29, "API Gateway answers 504 after 29 s"


@pytest.mark.parametrize("name", ["planhub/jwt-secret", "/planhub/jwt-secret"])
@pytest.mark.parametrize(
    ("policy", "parameter"),
    [("JwtSecretReadAccess", "JwtSecretParameterName"), ("StripeSecretReadAccess", "StripeSecretParameterName")],
)
def test_a_secret_parameter_named_with_or_without_its_leading_slash_gets_the_same_arn(
    name: str, policy: str, parameter: str
) -> None:
    from planhub.settings import parameter_name

    template = Template(parameters={parameter: name})
    document = template.resolve(template.resources[policy]["Properties"]["PolicyDocument"])

    (statement,) = document["Statement"]
    assert statement["Resource"] == "arn:aws:ssm:us-east-1:123456789012:parameter/planhub/jwt-secret"
    assert parameter_name(template.resolve({"Fn::Sub": f"/${{{parameter}}}"})) == "/planhub/jwt-secret"


def test_the_failure_queue_outlives_the_stack() -> None:
    queue = TEMPLATE.resources["AsyncFailureQueue"]

    assert queue["DeletionPolicy"] == "Retain"
    assert queue["UpdateReplacePolicy"] == "Retain"


def test_the_email_identity_is_created_unless_it_was_verified_by_hand() -> None:
    assert "EmailIdentity" in TEMPLATE.resources_of("AWS::SES::EmailIdentity")
    assert not Template(parameters={"CreateEmailIdentity": "false"}).resources_of("AWS::SES::EmailIdentity")


def test_cloudwatch_may_publish_to_the_alarm_topic() -> None:
    topic = TEMPLATE.resources["AlarmTopic"]["Properties"]
    key = TEMPLATE.resources[topic["KmsMasterKeyId"]["Ref"]]

    assert key["Type"] == "AWS::KMS::Key"
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch[0]["Action"])


def test_function_alarms_watch_this_stacks_functions_only() -> None:
    tags = TEMPLATE.raw["Globals"]["Function"]["Tags"]
    assert tags == {"PlanhubStack": {"Ref": "AWS::StackName"}}
    for alarm in ("FunctionErrorsAlarm", "FunctionThrottlesAlarm"):
        (query,) = TEMPLATE.resolve(TEMPLATE.resources[alarm]["Properties"]["Metrics"])
        assert "WHERE tag.PlanhubStack = 'planhub-local'" in query["Expression"], alarm
    (errors,) = TEMPLATE.resolve(TEMPLATE.resources["FunctionErrorsAlarm"]["Properties"]["Metrics"])
    assert "FunctionName != 'planhub-local-AuthorizerFunction'" in errors["Expression"]


def test_every_function_logs_to_a_log_group_with_a_retention_and_the_api_keeps_access_logs() -> None:
    logging = TEMPLATE.raw["Globals"]["Function"]["LoggingConfig"]
    group = TEMPLATE.resources[logging["LogGroup"]["Ref"]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    for logical_id, function in TEMPLATE.resources_of("AWS::Serverless::Function").items():
        assert "LogGroup" not in function["Properties"].get("LoggingConfig", {}), logical_id
    (api,) = TEMPLATE.resources_of("AWS::Serverless::Api").values()
    access = api["Properties"]["AccessLogSetting"]
    assert TEMPLATE.resources[access["DestinationArn"]["Fn::GetAtt"][0]]["Properties"]["RetentionInDays"]


def test_the_email_function_may_send_only_as_planhubs_sender() -> None:
    properties = TEMPLATE.resources["SendEmailFunction"]["Properties"]
    (ses,) = [
        s
        for p in properties["Policies"]
        if isinstance(p, dict)
        for s in p.get("Statement", [])
        if "ses:SendEmail" in s["Action"]
    ]

    # An address verified through its domain is authorized against the domain's identity.
    assert TEMPLATE.resolve(ses["Resource"]).endswith(":identity/*")
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "EmailSender"}}}
