"""The local stack: template.yaml's resources in moto, and its functions run in-process.

Events travel as they do on AWS: a write's outbox item appears on the table's stream, the
stream publisher function puts it on the bus, moto matches each rule's pattern and delivers
to that rule's SQS queue (locally every rule targets a queue, since moto cannot invoke
Lambda targets), and `pump()` invokes the rule's function with each delivered event.

Functions run in warm containers that live as long as the process (`FunctionRuntime`).
For tests and benchmarks:

- `forget_warm_containers()`: every function's next request imports its module afresh.
- `use_session(session)`: the boto3 session the stack's own clients come from (boto3's
  default session unless chosen), so that the default session stays the functions' alone.
- `planhub_local.dynamodb_calls.recorded()`: the DynamoDB calls a request makes.
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
from types import ModuleType
from typing import Any

import boto3

from planhub_local import moto_patches
from planhub_local.template import ACCOUNT, REGION, REPO, Function, Template

LAYER_PATH = REPO / "layers" / "planhub"
DEFAULT_JWT_SECRET = "planhub-local-development-secret-0123456789"  # noqa: S105 - local only
# SSM SecureStrings the functions read, by the template parameter naming them: local values.
LOCAL_SECRETS = {"StripeSecretParameterName": "sk_test_planhub_local"}  # the Stripe test endpoint's key

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
    moto_patches.apply()
    # Metrics are disabled locally; Powertools still warns on every flush without this.
    warnings.filterwarnings("ignore", message="No application metrics to publish")


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


class Container:
    """One warm Lambda container: the function's module imported once, serving one request at a time."""

    def __init__(self, function: Function, instance: int) -> None:
        # A function reads its environment once, at import: give it exactly its own.
        with _environment(function.environment):
            name = f"planhub_function_{function.logical_id}_{instance}"
            spec = importlib.util.spec_from_file_location(name, function.module_path)
            assert spec is not None and spec.loader is not None
            self.module: ModuleType = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(self.module)
        self.handler: Callable[..., Any] = getattr(self.module, function.handler_name)


class _Pool:
    def __init__(self) -> None:
        self.idle: list[Container] = []
        self.created = 0
        self.lock = threading.Lock()


# Process-wide, like warm containers: a module is imported once per concurrent request it
# has had to serve, not once per test.
_POOLS: dict[str, _Pool] = {}
_POOLS_LOCK = threading.Lock()


class FunctionRuntime:
    """Runs functions the way Lambda does: each request gets a container of its own.

    A container serves one request at a time; concurrent requests to the same function get
    separate containers (separate module instances), so per-request state kept in module
    globals, such as the resolver's current event, never leaks between requests.
    """

    def __init__(self, functions: dict[str, Function]) -> None:
        self.functions = functions

    def _pool(self, logical_id: str) -> _Pool:
        with _POOLS_LOCK:
            return _POOLS.setdefault(logical_id, _Pool())

    def _acquire(self, logical_id: str) -> Container:
        pool = self._pool(logical_id)
        with pool.lock:
            if pool.idle:
                return pool.idle.pop()
            pool.created += 1
            instance = pool.created
        with _IMPORT_LOCK:
            return Container(self.functions[logical_id], instance)

    def _release(self, logical_id: str, container: Container) -> None:
        pool = self._pool(logical_id)
        with pool.lock:
            pool.idle.append(container)

    def module(self, logical_id: str) -> ModuleType:
        """A warm container's module (its `app` resolver describes the route)."""
        container = self._acquire(logical_id)
        self._release(logical_id, container)
        return container.module

    def invoke(self, logical_id: str, event: Any) -> Any:
        function = self.functions[logical_id]
        context = LambdaContext(function_name=f"planhub-local-{logical_id}", timeout_seconds=function.timeout)
        container = self._acquire(logical_id)
        try:
            return container.handler(json.loads(json.dumps(event)), context)
        finally:
            self._release(logical_id, container)


_IMPORT_LOCK = threading.Lock()  # imports touch os.environ, which is process-wide


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


def forget_warm_containers() -> None:
    """Forget every warm container: each function's next request imports its module afresh.

    Containers live as long as the process, and a container's clients keep the event hooks
    of the session they were made in; a benchmark that wants first requests (or hooks of
    its own session) starts with this.
    """
    with _POOLS_LOCK:
        _POOLS.clear()


_session: boto3.session.Session | None = None  # None: boto3's default session
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def use_session(session: boto3.session.Session | None) -> None:
    """The session the stack's own clients (table, bus, queues, mail) come from; None: boto3's default.

    The functions' clients are theirs and come from the default session, as on Lambda. A
    separate session here leaves the default one untouched until a function makes its first
    client, so that first client pays for loading its service model as on Lambda.
    """
    global _session  # noqa: PLW0603 - one choice per process, like the clients it makes
    with _clients_lock:
        _session = session
        _clients.clear()


def _client(service: str) -> Any:
    """boto3 clients are costly to build and work across moto sessions: one per process and service."""
    with _clients_lock:
        client = _clients.get(service)
        if client is None:
            make = _session.client if _session is not None else boto3.client
            client = _clients[service] = make(service, region_name=REGION)  # type: ignore[call-overload]
        return client


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
        self.template = template or Template.default()
        self.functions = self.template.functions()
        self.runtime = FunctionRuntime(self.functions)
        self.dynamodb = _client("dynamodb")
        self.events = _client("events")
        self.sqs = _client("sqs")
        self.ses = _client("ses")
        self.table_name = ""
        self.bus_name = ""
        self.failure_queue_url = ""
        self.rule_queues: dict[str, str] = {}  # rule name -> queue url
        self._stream_position = 0  # records of the table's stream handed to the publisher
        self.stream_failures = 0  # publisher invocations that raised (and were retried)
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
        self._create_usage_plans()
        self._put_secrets()
        return self

    def _put_secrets(self) -> None:
        for parameter, value in LOCAL_SECRETS.items():
            name = "/" + self.template.parameters[parameter].lstrip("/")
            _client("ssm").put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)

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

    def _create_usage_plans(self) -> None:
        """The template's usage plans, so that API keys can be registered locally as on AWS
        (the local gateway itself does not meter keys)."""
        for resource in self.template.resources_of("AWS::ApiGateway::UsagePlan").values():
            name = self.template.resolve(resource["Properties"]["UsagePlanName"])
            _client("apigateway").create_usage_plan(name=name)

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

    def _pending_stream_records(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The stream records after our position, read from moto's shard.

        Read from the backend rather than through GetRecords: moto's response serializer
        costs about a millisecond per record, which a 10,000-member group pays 10,000 times.
        The records are the same dicts GetRecords would answer.
        """
        from moto.dynamodb.models import dynamodb_backends

        with moto_patches.lock:
            shard = dynamodb_backends[ACCOUNT][REGION].get_table(self.table_name).stream_shard
            if shard is None:
                return []
            return [_jsonable(r.record) for r in shard.items[self._stream_position : self._stream_position + limit]]

    def _pump_stream(self) -> int:
        records = self._pending_stream_records()
        if not records:
            return 0
        subscription = self.template.stream_subscriptions()[0]
        for start in range(0, len(records), subscription.batch_size):
            batch = records[start : start + subscription.batch_size]
            selected = [
                r for r in batch if not subscription.filters or any(matches(f, r) for f in subscription.filters)
            ]
            if selected:
                for record in selected:
                    record["eventSourceARN"] = self._stream_arn
                try:
                    answer = self.invoke(subscription.function, {"Records": selected}) or {}
                except Exception:  # noqa: BLE001 - any failure of the function is retried
                    # Lambda retries a stream batch that raised, from the same position,
                    # until it succeeds; a drain gives up only when its time is out.
                    self.stream_failures += 1
                    self._stream_position += start
                    return 1
                failures = answer.get("batchItemFailures") or []
                if failures:
                    # Lambda retries the batch from the first failed record, on the next pump.
                    failed = failures[0]["itemIdentifier"]
                    offset = next(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] == failed)
                    self._stream_position += start + offset
                    return start + offset + 1
            self._stream_position += len(batch)
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


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    """A stream record as Lambda delivers it: JSON, times as epoch seconds."""
    converted: dict[str, Any] = json.loads(
        json.dumps(record, default=lambda v: v.timestamp() if hasattr(v, "timestamp") else str(v))
    )
    return converted
