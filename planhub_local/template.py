"""Reading template.yaml: functions, their routes, rules, environment, and the resources
the local stack must create. Intrinsic functions are resolved against local names."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO / "template.yaml"
STACK_NAME = "planhub-local"
REGION = "us-east-1"
ACCOUNT = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt, ...) as long-form dicts."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)  # type: ignore[no-untyped-call]


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open() as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
        return loaded


@dataclass(frozen=True)
class Route:
    method: str  # upper case
    path: str  # as API Gateway declares it, e.g. /admin/portals/{portalId}
    function: str  # logical id
    authorized: bool
    api_key_required: bool = False  # Auth: ApiKeyRequired (the key comes from the authorizer)

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        # Built once per route: the gateway matches every request against every route.
        regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", self.path)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        return re.compile(f"^{regex}$")

    @property
    def specificity(self) -> tuple[int, int]:
        """API Gateway prefers literal segments to parameters: sort routes by this, descending."""
        segments = self.path.strip("/").split("/")
        return (sum(1 for s in segments if not s.startswith("{")), len(segments))


@dataclass(frozen=True)
class Rule:
    name: str
    function: str  # logical id of the function it invokes ("" when it targets a queue)
    pattern: dict[str, Any]
    max_retries: int
    queue: str | None = None  # logical id of the SQS queue it targets (an AWS::Events::Rule)


@dataclass(frozen=True)
class QueueSubscription:
    """A function's SQS event source, with its queue's redrive policy."""

    function: str
    queue: str  # logical id
    batch_size: int
    max_concurrency: int | None
    max_receive_count: int | None  # receives before the queue moves a message on
    dead_letter_queue: str | None  # logical id


@dataclass(frozen=True)
class StreamSubscription:
    function: str
    filters: list[dict[str, Any]]
    batch_size: int
    # Lambda's stream event source mapping: -1 is AWS's default, "until the record expires".
    max_retries: int = -1
    max_record_age_seconds: int = -1
    bisect_on_error: bool = False
    on_failure: str | None = None  # logical id of the on-failure destination (a queue)


@dataclass
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, str]
    timeout: int
    events: dict[str, Any] = field(default_factory=dict)
    max_async_retries: int = 2

    @property
    def module_path(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_uri / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]


class Template:
    """The parts of template.yaml the local stack needs, with local physical names."""

    @classmethod
    @functools.cache
    def default(cls) -> Template:
        """template.yaml, read once per process."""
        return cls()

    def __init__(self, raw: dict[str, Any] | None = None, parameters: dict[str, str] | None = None) -> None:
        """`parameters` overrides the template's defaults, as a deployment's parameter values do."""
        self.raw = raw if raw is not None else load_template()
        self.resources: dict[str, Any] = self.raw["Resources"]
        self.parameters = {name: str(spec.get("Default", "")) for name, spec in self.raw.get("Parameters", {}).items()}
        self.parameters.update(parameters or {})
        self.physical_names = self._physical_names()
        self.conditions = {name: bool(self.resolve(spec)) for name, spec in self.raw.get("Conditions", {}).items()}

    # --- names ------------------------------------------------------------------------

    def _physical_names(self) -> dict[str, str]:
        names = {}
        for logical_id, resource in self.resources.items():
            kind = resource["Type"]
            if kind == "AWS::Events::EventBus":
                names[logical_id] = f"{STACK_NAME}-bus"
            elif kind == "AWS::DynamoDB::Table":
                names[logical_id] = f"{STACK_NAME}-{logical_id.lower()}"
            elif kind == "AWS::SQS::Queue":
                names[logical_id] = f"{STACK_NAME}-{logical_id}"
            else:
                names[logical_id] = f"{STACK_NAME}-{logical_id}"
        return names

    def resources_of(self, kind: str) -> dict[str, dict[str, Any]]:
        """The resources of a type that this deployment creates (their Condition, if any, holds)."""
        return {
            k: v
            for k, v in self.resources.items()
            if v["Type"] == kind and ("Condition" not in v or self.conditions[v["Condition"]])
        }

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_names[logical_id]
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        if kind == "AWS::Events::EventBus":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"

    # --- intrinsic functions ------------------------------------------------------------

    def resolve(self, value: Any) -> Any:  # noqa: PLR0911 - one branch per intrinsic
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return self._ref(argument)
            if name == "Fn::Sub":
                return self._sub(argument)
            if name == "Fn::GetAtt":
                return self._get_att(*argument)
            if name == "Fn::If":
                condition, when_true, when_false = argument
                return self.resolve(when_true if self.conditions[condition] else when_false)
            if name == "Fn::Equals":
                left, right = (self.resolve(a) for a in argument)
                return left == right
            if name == "Fn::Not":
                return not self.resolve(argument[0])
            if name == "Fn::Split":
                delimiter, text = argument
                return str(self.resolve(text)).split(delimiter)
            if name == "Fn::Select":
                index, values = argument
                return self.resolve(values)[int(self.resolve(index))]
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": STACK_NAME,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        kind = self.resources[name]["Type"]
        if kind in ("AWS::SQS::Queue",):
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical_names[name]}"
        return self.physical_names[name]

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in variables:
                return str(self.resolve(variables[token]))
            if "." in token:
                return str(self._get_att(*token.split(".", 1)))
            return str(self._ref(token))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute == "QueueName":
            return self.physical_names[logical_id]
        if attribute == "StreamArn":
            return self.arn(logical_id) + "/stream/local"
        return f"{self.physical_names[logical_id]}.{attribute}"

    # --- functions, routes, rules ------------------------------------------------------

    @functools.cache  # noqa: B019 - templates live as long as the process
    def functions(self) -> dict[str, Function]:
        defaults = self.raw.get("Globals", {}).get("Function", {})
        found = {}
        for logical_id, resource in self.resources_of("AWS::Serverless::Function").items():
            props = resource["Properties"]
            environment = {
                **defaults.get("Environment", {}).get("Variables", {}),
                **props.get("Environment", {}).get("Variables", {}),
            }
            resolved = {k: self.resolve(v) for k, v in environment.items()}
            invoke_config = props.get("EventInvokeConfig", {})
            found[logical_id] = Function(
                logical_id=logical_id,
                code_uri=REPO / props["CodeUri"],
                handler=props.get("Handler", defaults.get("Handler")),
                environment={k: str(v) for k, v in resolved.items() if v is not _NO_VALUE},
                timeout=int(props.get("Timeout", defaults.get("Timeout", 3))),
                events=props.get("Events", {}),
                max_async_retries=int(invoke_config.get("MaximumRetryAttempts", 2)),
            )
        return found

    @functools.cache  # noqa: B019 - templates live as long as the process
    def routes(self) -> list[Route]:
        routes = []
        for function in self.functions().values():
            for event in function.events.values():
                if event["Type"] != "Api":
                    continue
                props = event["Properties"]
                auth = props.get("Auth", {})
                routes.append(
                    Route(
                        method=props["Method"].upper(),
                        path=props["Path"],
                        function=function.logical_id,
                        authorized=auth.get("Authorizer") != "NONE",
                        api_key_required=bool(auth.get("ApiKeyRequired", False)),
                    )
                )
        return sorted(routes, key=lambda r: r.specificity, reverse=True)

    @functools.cache  # noqa: B019 - templates live as long as the process
    def rules(self) -> list[Rule]:
        rules = []
        for function in self.functions().values():
            for event_name, event in function.events.items():
                if event["Type"] == "EventBridgeRule":
                    rules.append(
                        Rule(
                            name=f"{function.logical_id}-{event_name}",
                            function=function.logical_id,
                            pattern=self.resolve(event["Properties"]["Pattern"]),
                            max_retries=function.max_async_retries,
                        )
                    )
        for logical_id, resource in self.resources_of("AWS::Events::Rule").items():
            props = resource["Properties"]
            for target in props.get("Targets", []):
                arn = target["Arn"]
                queue = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, dict) else None
                if queue in self.resources and self.resources[queue]["Type"] == "AWS::SQS::Queue":
                    rules.append(Rule(logical_id, "", self.resolve(props["EventPattern"]), 0, queue=queue))
        return rules

    @functools.cache  # noqa: B019 - templates live as long as the process
    def queue_subscriptions(self) -> list[QueueSubscription]:
        found = []
        for function in self.functions().values():
            for event in function.events.values():
                if event["Type"] != "SQS":
                    continue
                props = event["Properties"]
                queue = props["Queue"]["Fn::GetAtt"][0]
                redrive = self.resources[queue]["Properties"].get("RedrivePolicy") or {}
                dead_letter = redrive.get("deadLetterTargetArn")
                found.append(
                    QueueSubscription(
                        function=function.logical_id,
                        queue=queue,
                        batch_size=int(props.get("BatchSize", 10)),
                        max_concurrency=props.get("ScalingConfig", {}).get("MaximumConcurrency"),
                        max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
                        dead_letter_queue=dead_letter["Fn::GetAtt"][0] if dead_letter else None,
                    )
                )
        return found

    @functools.cache  # noqa: B019 - templates live as long as the process
    def stream_subscriptions(self) -> list[StreamSubscription]:
        found = []
        for function in self.functions().values():
            for event in function.events.values():
                if event["Type"] != "DynamoDB":
                    continue
                props = event["Properties"]
                filters = [yaml.safe_load(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]
                destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                found.append(
                    StreamSubscription(
                        function.logical_id,
                        filters,
                        int(props.get("BatchSize", 100)),
                        max_retries=int(props.get("MaximumRetryAttempts", -1)),
                        max_record_age_seconds=int(props.get("MaximumRecordAgeInSeconds", -1)),
                        bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
                        on_failure=destination["Fn::GetAtt"][0] if destination else None,
                    )
                )
        return found

    def authorizer_function(self) -> str | None:
        for api in self.resources_of("AWS::Serverless::Api").values():
            auth = api["Properties"].get("Auth", {})
            default = auth.get("DefaultAuthorizer")
            if default:
                arn = auth["Authorizers"][default]["FunctionArn"]
                return str(arn["Fn::GetAtt"][0])
        return None

    def gateway_responses(self) -> dict[str, dict[str, Any]]:
        """The API's gateway responses, intrinsics resolved (header values keep API Gateway's quotes)."""
        for api in self.resources_of("AWS::Serverless::Api").values():
            return {k: self.resolve(v) for k, v in api["Properties"].get("GatewayResponses", {}).items()}
        return {}

    def cors(self) -> dict[str, str] | None:
        """The API's CORS preflight answer headers (`Cors` of the API), quotes taken off; None without."""
        for api in self.resources_of("AWS::Serverless::Api").values():
            cors = api["Properties"].get("Cors")
            if cors is None:
                return None
            if isinstance(cors, str):
                cors = {"AllowOrigin": cors}
            names = {
                "AllowOrigin": "Access-Control-Allow-Origin",
                "AllowMethods": "Access-Control-Allow-Methods",
                "AllowHeaders": "Access-Control-Allow-Headers",
                "MaxAge": "Access-Control-Max-Age",
                "AllowCredentials": "Access-Control-Allow-Credentials",
            }
            return {names[k]: unquoted(str(self.resolve(v))) for k, v in cors.items() if k in names}
        return None

    def stage(self) -> str:
        for api in self.resources_of("AWS::Serverless::Api").values():
            return str(self.resolve(api["Properties"]["StageName"]))
        return "local"


def unquoted(value: str) -> str:
    """A header value as API Gateway's mappings write it (`'*'`), without the quotes."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()
