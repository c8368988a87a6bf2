"""The local stack: template.yaml's resources in moto, and its functions run in-process.

Events travel as they do on AWS: a write's outbox item appears on the table's stream, the
stream publisher function puts it on the bus, moto matches each rule's pattern and delivers
to that rule's SQS queue (locally every rule targets a queue, since moto cannot invoke
Lambda targets), and `pump()` invokes the rule's function with each delivered event.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from planhub_local.template import ACCOUNT, REGION, REPO, Function, Template

LAYER_PATH = REPO / "layers" / "planhub"
DEFAULT_JWT_SECRET = "planhub-local-development-secret-0123456789"  # noqa: S105 - local only

# Everything a function sees locally besides its template environment.
LOCAL_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def configure_process(jwt_secret: str | None = None) -> None:
    """Process-wide settings every in-process function relies on; call before moto starts."""
    for name, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    os.environ["JWT_SECRET"] = jwt_secret or os.environ.get("JWT_SECRET") or DEFAULT_JWT_SECRET
    if str(LAYER_PATH) not in sys.path:
        # On Lambda the layer is on the path at /opt/python; locally it is the layer's folder.
        sys.path.insert(0, str(LAYER_PATH))
    _serialize_moto_calls()
    # Metrics are disabled locally; Powertools still warns on every flush without this.
    warnings.filterwarnings("ignore", message="No application metrics to publish")


_moto_lock = threading.RLock()


def _serialize_moto_calls() -> None:
    """Makes each moto call atomic, as each DynamoDB call is on AWS.

    moto's backends are not thread-safe; without this, two concurrent conditional writes
    could both pass their condition, which real DynamoDB never allows.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber.__call__, "_planhub_serialized", False):
        return
    original = BotocoreStubber.__call__

    def serialized(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with _moto_lock:
            return original(self, event_name, request, **kwargs)

    serialized._planhub_serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.__call__ = serialized  # type: ignore[method-assign]


@dataclass
class LambdaContext:
    """What Lambda passes as `context`, enough for Powertools and our handlers."""

    function_name: str
    timeout_seconds: int
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


_HANDLERS: dict[str, Callable[..., Any]] = {}
_MODULES: dict[str, ModuleType] = {}


class FunctionRuntime:
    """Imports each function's handler once, with its own environment, and invokes it."""

    _import_lock = threading.Lock()

    def __init__(self, functions: dict[str, Function]) -> None:
        self.functions = functions
        self._handlers = _HANDLERS  # process-wide: a module is imported once, as in a warm Lambda

    def handler(self, logical_id: str) -> Callable[..., Any]:
        if logical_id not in self._handlers:
            with self._import_lock:
                if logical_id not in self._handlers:
                    self._handlers[logical_id] = self._import(self.functions[logical_id])
        return self._handlers[logical_id]

    def _import(self, function: Function) -> Callable[..., Any]:
        # A function reads its environment once, at import: give it exactly its own.
        with _environment(function.environment):
            spec = importlib.util.spec_from_file_location(
                f"planhub_function_{function.logical_id}", function.module_path
            )
            assert spec is not None and spec.loader is not None
            module: ModuleType = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        _MODULES[function.logical_id] = module
        return getattr(module, function.handler_name)  # type: ignore[no-any-return]

    def module(self, logical_id: str) -> ModuleType:
        """The imported handler module (its `app` resolver describes the route)."""
        self.handler(logical_id)
        return _MODULES[logical_id]

    def invoke(self, logical_id: str, event: Any) -> Any:
        function = self.functions[logical_id]
        context = LambdaContext(function_name=f"planhub-local-{logical_id}", timeout_seconds=function.timeout)
        return self.handler(logical_id)(json.loads(json.dumps(event)), context)


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def matches(pattern: Any, value: Any) -> bool:
    """Lambda event-filter matching for the pattern forms the template uses (exact values)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and matches(p, value[k]) for k, p in pattern.items())
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


@dataclass
class DeliveredEvent:
    rule: str
    function: str
    event: dict[str, Any]


class LocalStack:
    """The template's resources, created in the moto backend that is active now."""

    def __init__(self, template: Template | None = None) -> None:
        self.template = template or Template()
        self.functions = self.template.functions()
        self.runtime = FunctionRuntime(self.functions)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.streams = boto3.client("dynamodbstreams", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.ses = boto3.client("ses", region_name=REGION)
        self.table_name = ""
        self.bus_name = ""
        self.failure_queue_url = ""
        self.rule_queues: dict[str, str] = {}  # rule name -> queue url
        self._shard_positions: dict[str, str | None] = {}
        self._stream_arn = ""
        self._pump_lock = threading.Lock()
        self.delivered: list[DeliveredEvent] = []
        self.failures: list[dict[str, Any]] = []

    # --- creating the resources ---------------------------------------------------------

    def create(self) -> LocalStack:
        self._create_table()
        self._create_queues()
        self._create_bus_and_rules()
        self._verify_email_identities()
        return self

    def _create_table(self) -> None:
        logical_id, resource = next(iter(self.template.resources_of("AWS::DynamoDB::Table").items()))
        props = self.template.resolve(resource["Properties"])
        self.table_name = self.template.physical_names[logical_id]
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            params["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            params["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        answer = self.dynamodb.create_table(**params)
        self._stream_arn = answer["TableDescription"].get("LatestStreamArn", "")
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            self.dynamodb.update_time_to_live(TableName=self.table_name, TimeToLiveSpecification=ttl)

    def _create_queues(self) -> None:
        for logical_id in self.template.resources_of("AWS::SQS::Queue"):
            url = self.sqs.create_queue(QueueName=self.template.physical_names[logical_id])["QueueUrl"]
            if logical_id == "AsyncFailureQueue":
                self.failure_queue_url = url

    def _create_bus_and_rules(self) -> None:
        bus_id = next(iter(self.template.resources_of("AWS::Events::EventBus")))
        self.bus_name = self.template.physical_names[bus_id]
        self.events.create_event_bus(Name=self.bus_name)
        for rule in self.template.rules():
            queue_url = self.sqs.create_queue(QueueName=f"rule-{rule.name}"[:80])["QueueUrl"]
            queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            self.events.put_rule(Name=rule.name, EventBusName=self.bus_name, EventPattern=json.dumps(rule.pattern))
            self.events.put_targets(
                Rule=rule.name, EventBusName=self.bus_name, Targets=[{"Id": "function", "Arn": queue_arn}]
            )
            self.rule_queues[rule.name] = queue_url

    def _verify_email_identities(self) -> None:
        for resource in self.template.resources_of("AWS::SES::EmailIdentity").values():
            identity = self.template.resolve(resource["Properties"]["EmailIdentity"])
            self.ses.verify_email_identity(EmailAddress=identity)

    # --- running functions --------------------------------------------------------------

    def invoke(self, logical_id: str, event: Any) -> Any:
        return self.runtime.invoke(logical_id, event)

    # --- moving events ------------------------------------------------------------------

    def pump(self) -> int:
        """One round: stream -> publisher -> bus -> rule queues -> functions. Answers the work done."""
        with self._pump_lock:
            return self._pump_stream() + self._pump_queues()

    def drain(self, timeout_seconds: float = 120.0) -> None:
        """Pumps until nothing is left: every stream record and event processed, and what it caused."""
        deadline = time.monotonic() + timeout_seconds
        while self.pump():
            if time.monotonic() > deadline:
                raise TimeoutError("events were still flowing when the drain timed out")

    def _shards(self) -> list[str]:
        description = self.streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def _pump_stream(self) -> int:
        if not self._stream_arn:
            return 0
        processed = 0
        for shard_id in self._shards():
            after = self._shard_positions.get(shard_id)
            if after is None:
                iterator = self.streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            else:
                iterator = self.streams.get_shard_iterator(
                    StreamArn=self._stream_arn,
                    ShardId=shard_id,
                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                    SequenceNumber=after,
                )["ShardIterator"]
            records = self.streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
            if not records:
                continue
            processed += self._deliver_stream_records(shard_id, [_jsonable(r) for r in records])
        return processed

    def _deliver_stream_records(self, shard_id: str, records: list[dict[str, Any]]) -> int:
        """Hands records to each stream subscriber in batches; advances past what succeeded."""
        subscription = self.template.stream_subscriptions()[0]
        for start in range(0, len(records), subscription.batch_size):
            batch = records[start : start + subscription.batch_size]
            selected = [
                r for r in batch if not subscription.filters or any(matches(f, r) for f in subscription.filters)
            ]
            if selected:
                for record in selected:
                    record.setdefault("eventSourceARN", self._stream_arn)
                answer = self.invoke(subscription.function, {"Records": selected}) or {}
                failures = answer.get("batchItemFailures") or []
                if failures:
                    # Retry from the first failed record on the next pump, as Lambda does.
                    failed = failures[0]["itemIdentifier"]
                    position = _position_before(records, failed)
                    self._shard_positions[shard_id] = position or self._shard_positions.get(shard_id)
                    return start + 1
            self._shard_positions[shard_id] = batch[-1]["dynamodb"]["SequenceNumber"]
        return len(records)

    def _pump_queues(self) -> int:
        processed = 0
        for rule in self.template.rules():
            url = self.rule_queues[rule.name]
            while True:
                messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    event = json.loads(message["Body"])
                    self._invoke_async(rule.function, rule.name, event, rule.max_retries)
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    processed += 1
        return processed

    def _invoke_async(self, function: str, rule: str, event: dict[str, Any], max_retries: int) -> None:
        """Lambda's asynchronous invocation: retries, then the on-failure destination."""
        for attempt in itertools.count():
            try:
                self.invoke(function, event)
                self.delivered.append(DeliveredEvent(rule=rule, function=function, event=event))
                return
            except Exception as error:  # noqa: BLE001 - any failure is retried, then dead-lettered
                if attempt < max_retries:
                    continue
                record = {
                    "version": "1.0",
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                    "requestContext": {
                        "requestId": str(uuid.uuid4()),
                        "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:planhub-local-{function}",
                        "condition": "RetriesExhausted",
                        "approximateInvokeCount": attempt + 1,
                    },
                    "requestPayload": event,
                    "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
                    "responsePayload": {
                        "errorMessage": str(error),
                        "errorType": type(error).__name__,
                        "stackTrace": traceback.format_exception(error)[-5:],
                    },
                }
                self.failures.append(record)
                if self.failure_queue_url:
                    self.sqs.send_message(QueueUrl=self.failure_queue_url, MessageBody=json.dumps(record))
                return

    # --- looking at what happened -------------------------------------------------------

    def sent_emails(self) -> list[dict[str, Any]]:
        from moto.ses.models import ses_backends

        backend = ses_backends[ACCOUNT][REGION]
        emails = []
        for message in backend.sent_messages:
            destinations = getattr(message, "destinations", {}) or {}
            emails.append(
                {
                    "to": list(destinations.get("ToAddresses", [])),
                    "subject": getattr(message, "subject", None),
                    "body": getattr(message, "body", None),
                    "source": getattr(message, "source", None),
                }
            )
        return emails


def _position_before(records: list[dict[str, Any]], sequence_number: str) -> str | None:
    """The sequence number just before `sequence_number`, to resume the shard from it."""
    previous = None
    for record in records:
        if record["dynamodb"]["SequenceNumber"] == sequence_number:
            return previous
        previous = record["dynamodb"]["SequenceNumber"]
    return previous


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    """A stream record as Lambda delivers it: JSON, times as epoch seconds."""
    converted: dict[str, Any] = json.loads(
        json.dumps(record, default=lambda v: v.timestamp() if hasattr(v, "timestamp") else str(v))
    )
    return converted


def repo_path(*parts: str) -> Path:
    return REPO.joinpath(*parts)
