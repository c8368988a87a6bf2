"""The local stack: template.yaml's resources in moto, and its functions run in-process.

Events travel as they do on AWS: a write's outbox item appears on the table's stream, the
stream publisher function puts it on the bus, moto matches each rule's pattern and delivers
to that rule's SQS queue (locally every rule targets a queue, since moto cannot invoke
Lambda targets), and `pump()` invokes the rule's function with each delivered event.

Functions run in warm containers that live as long as the process (`FunctionRuntime`).
For tests and benchmarks:

- `forget_warm_containers()`: every function's next request imports its module afresh.
- `LocalStack().create(from_snapshot=True)`: the resources copied from the process's first
  stack's moto state, taken right after its creation (the tests' fixtures).
- `use_session(session)`: the boto3 session the stack's own clients come from (boto3's
  default session unless chosen), so that the default session stays the functions' alone.
- `planhub_local.dynamodb_calls.recorded()`: the DynamoDB calls a request makes.
"""

from __future__ import annotations

import copy
import copyreg
import importlib.util
import itertools
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3

from planhub_local import environ, log_keys, metrics, moto_patches
from planhub_local.template import ACCOUNT, REGION, REPO, Function, QueueSubscription, StreamSubscription, Template

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
    # Before any boto3 session holds os.environ: each function sees its own variables.
    environ.install()
    # Before the layer builds its Metrics: each invocation's metrics are its own, then dropped.
    metrics.install()
    # And each invocation's log keys (function name, request id) are its own.
    log_keys.install()
    if str(LAYER_PATH) not in sys.path:
        # On Lambda the layer is on the path at /opt/python; locally it is the layer's folder.
        sys.path.insert(0, str(LAYER_PATH))
    moto_patches.apply()
    from planhub.storage import mail  # the email functions pace themselves on the local SES clock

    mail.clock = moto_patches.ses_clock
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
    """One warm Lambda container: the function's module imported once, serving one request at a time.

    Its environment is its own (`planhub_local.environ`): the function's template variables
    over the process's, seen by its import and by each of its invocations, never by another
    function's, whatever runs at the same time.
    """

    def __init__(self, function: Function, instance: int) -> None:
        self.environ = environ.overlay_for(function.environment)
        with environ.running(self.environ):
            name = f"planhub_function_{function.logical_id}_{instance}"
            spec = importlib.util.spec_from_file_location(name, function.module_path)
            assert spec is not None and spec.loader is not None
            self.module: ModuleType = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(self.module)
        self.handler: Callable[..., Any] = getattr(self.module, function.handler_name)
        _collect_logs_of(function.environment.get("POWERTOOLS_SERVICE_NAME", "service_undefined"))


# The log records of the invocation running in this thread (its CloudWatch log stream on AWS).
_invocation_log: ContextVar[list[tuple[_InvocationLog, logging.LogRecord]] | None] = ContextVar(
    "planhub_local_invocation_log", default=None
)


class _InvocationLog(logging.Handler):
    """Keeps each log record of the invocation in progress, so that a failed invocation's log can be
    shown whatever became of the function's stdout. Records are formatted (as the function's own
    handler formats them) only when the invocation fails: a successful one pays for a list append."""

    def emit(self, record: logging.LogRecord) -> None:
        kept = _invocation_log.get()
        if kept is not None:
            kept.append((self, record))

    def line(self, record: logging.LogRecord) -> str:
        if self.formatter is None:  # the function's Logger may be built after its container started
            self.setFormatter(_formatter_of(logging.getLogger(record.name)))
        try:
            return self.format(record)
        except Exception:  # noqa: BLE001 - a report must not fail on one odd record
            return record.getMessage()


_log_collectors: dict[str, _InvocationLog] = {}
_log_collectors_lock = threading.Lock()


def _formatter_of(target: logging.Logger) -> logging.Formatter | None:
    """The formatter of the function's own handler (Powertools' JSON lines), if it has one yet."""
    return next((h.formatter for h in target.handlers if h.formatter is not None), None)


def _collect_logs_of(logger_name: str) -> None:
    with _log_collectors_lock:
        if logger_name in _log_collectors:
            return
        target = logging.getLogger(logger_name)
        collector = _InvocationLog()
        collector.setFormatter(_formatter_of(target))
        target.addHandler(collector)
        _log_collectors[logger_name] = collector


def _is_authorizer_refusal(error: BaseException) -> bool:
    """A Lambda authorizer refuses a token by raising `Exception("Unauthorized")`: an answer, not a failure."""
    return type(error) is Exception and str(error) == "Unauthorized"


def _report_failure(
    logical_id: str,
    context: LambdaContext,
    records: list[tuple[_InvocationLog, logging.LogRecord]],
    error: BaseException | None,
) -> None:
    """A failed invocation's log, on stderr: what CloudWatch would show the person debugging it."""
    outcome = f"raised {type(error).__name__}: {error}" if error is not None else "answered a 5xx"
    report = [f"planhub_local: {logical_id} {outcome} (request {context.aws_request_id}); its log:"]
    report += [f"  {handler.line(record)}" for handler, record in records] or ["  (no log lines)"]
    if error is not None:
        report += [f"  {line}" for line in "".join(traceback.format_exception(error)).rstrip().splitlines()]
    sys.stderr.write("\n".join(report) + "\n")
    sys.stderr.flush()


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
        records: list[tuple[_InvocationLog, logging.LogRecord]] = []
        log = _invocation_log.set(records)
        try:
            # The report is made inside the invocation, so its lines carry the invocation's keys.
            with environ.running(container.environ), metrics.invocation(), log_keys.invocation():
                try:
                    answer = container.handler(json.loads(json.dumps(event)), context)
                except Exception as error:
                    if not _is_authorizer_refusal(error):
                        _report_failure(logical_id, context, records, error)
                    raise
                if isinstance(answer, dict) and str(answer.get("statusCode", "")).startswith("5"):
                    _report_failure(logical_id, context, records, None)
        finally:
            _invocation_log.reset(log)
            self._release(logical_id, container)
        return answer


# One cold start at a time: the shared layer's modules run their import-time code once, for
# the first importer, while the others wait (on Lambda each container imports its own).
_IMPORT_LOCK = threading.Lock()


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


# The moto services whose state `_Snapshot` copies: what create() makes before usage plans
# and secrets (the SSM and API Gateway backends do not deep-copy).
_SNAPSHOT_SERVICES = ("dynamodb", "sqs", "events", "ses")
# The stack attributes create() derives from the resources it makes.
_SNAPSHOT_FIELDS = ("table_name", "bus_name", "failure_queue_url", "rule_queues", "queue_urls", "_stream_arn")


def _fresh(make: Callable[[], Any]) -> Callable[[Any], tuple[Callable[[], Any], tuple[()]]]:
    def reduce(_lock: Any) -> tuple[Callable[[], Any], tuple[()]]:
        return make, ()

    return reduce


def _moto_backends(service: str) -> Any:
    """A moto service's backends of the local account, by region."""
    from moto import backends

    getter: Any = backends.get_backend  # typed per service name; any of ours will do
    return getter(service)[ACCOUNT]


def _condition_on_copied_lock(condition: threading.Condition) -> tuple[type[threading.Condition], tuple[Any]]:
    return threading.Condition, (condition._lock,)  # type: ignore[attr-defined]


@contextmanager
def _locks_copied_as_new() -> Iterator[None]:
    """deepcopy gives a moto backend's locks fresh, unlocked locks (by default it refuses them)."""
    lock_types = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}
    for lock_type, make in lock_types.items():
        copyreg.dispatch_table[lock_type] = _fresh(make)
    # A Condition holds its lock's bound methods, which deepcopy would share: rebuild it on the copied lock.
    copyreg.dispatch_table[threading.Condition] = _condition_on_copied_lock
    try:
        yield
    finally:
        for lock_type in [*lock_types, threading.Condition]:
            copyreg.dispatch_table.pop(lock_type, None)


@dataclass
class _Snapshot:
    """A just-created stack's moto state and attributes, restored into a fresh moto backend."""

    backends: dict[str, dict[str, dict[str, Any]]]  # service -> region -> backend __dict__
    fields: dict[str, Any]

    @classmethod
    def take(cls, stack: LocalStack) -> _Snapshot:
        with _SNAPSHOT_LOCK, _locks_copied_as_new():
            backends = {
                service: {
                    region: copy.deepcopy(backend.__dict__) for region, backend in _moto_backends(service).items()
                }
                for service in _SNAPSHOT_SERVICES
            }
        return cls(backends, {name: copy.deepcopy(getattr(stack, name)) for name in _SNAPSHOT_FIELDS})

    def restore(self, stack: LocalStack) -> None:
        with _SNAPSHOT_LOCK, _locks_copied_as_new():
            for service, regions in self.backends.items():
                for region, state in regions.items():
                    _moto_backends(service)[region].__dict__ = copy.deepcopy(state)
        for name, value in self.fields.items():
            setattr(stack, name, copy.deepcopy(value))


_SNAPSHOTS: dict[Template, _Snapshot] = {}
_SNAPSHOT_LOCK = threading.Lock()


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
        self._stream_attempts = 0  # retries of the batch at the current position
        self._bisected: tuple[int, int] | None = None  # (stream position it ends at, batch size)
        self.queue_urls: dict[str, str] = {}  # logical id -> queue url
        self._stream_arn = ""
        self._pump_lock = threading.Lock()
        self.delivered: list[DeliveredEvent] = []
        self.failures: list[dict[str, Any]] = []

    # --- creating the resources ---------------------------------------------------------

    def create(self, *, from_snapshot: bool = False) -> LocalStack:
        """Creates the template's resources in the moto backend that is active now.

        `from_snapshot=True` (the tests' fixtures): the table, queues, bus, rules and email
        identities are a copy of the moto state the process's first such stack of this template
        had right after its creation (same names, same settings, no items or messages), so a
        stack costs milliseconds instead of about 45 moto calls; usage plans and
        secrets are still created by calls.
        """
        if from_snapshot and self.template in _SNAPSHOTS:
            _SNAPSHOTS[self.template].restore(self)
        else:
            self._create_table()
            self._create_queues()
            self._create_bus_and_rules()
            self._verify_email_identities()
            if from_snapshot:
                _SNAPSHOTS[self.template] = _Snapshot.take(self)
        self._limit_email_send_rate()
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
            self.queue_urls[logical_id] = url
            if logical_id == "AsyncFailureQueue":
                self.failure_queue_url = url

    def _create_bus_and_rules(self) -> None:
        bus_id = next(iter(self.template.resources_of("AWS::Events::EventBus")))
        self.bus_name = self.template.physical_names[bus_id]
        self.events.create_event_bus(Name=self.bus_name)
        for rule in self.template.rules():
            if rule.queue is not None:  # a rule of the template's own that targets a queue
                queue_arn = self.template.arn(rule.queue)
                self.events.put_rule(Name=rule.name, EventBusName=self.bus_name, EventPattern=json.dumps(rule.pattern))
                self.events.put_targets(
                    Rule=rule.name, EventBusName=self.bus_name, Targets=[{"Id": rule.queue, "Arn": queue_arn}]
                )
                continue
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

    def _limit_email_send_rate(self) -> None:
        """SES throttles above the account's send rate: locally, the template's EmailMaxSendRate."""
        rate = self.template.parameters.get("EmailMaxSendRate")
        moto_patches.ses_send_rate.configure(float(rate) if rate else None)

    def api_key_accepted(self, value: str | None) -> bool:
        """What API Gateway checks on a route with ApiKeyRequired: the key (here, the
        authorizer's usageIdentifierKey) exists, is enabled, and is on one of the stack's
        usage plans."""
        if not value:
            return False
        apigateway = _client("apigateway")
        keys = apigateway.get_api_keys(includeValues=True, limit=500).get("items", [])
        key = next((k for k in keys if k.get("value") == value and k.get("enabled")), None)
        if key is None:
            return False
        names = {
            self.template.resolve(r["Properties"]["UsagePlanName"])
            for r in self.template.resources_of("AWS::ApiGateway::UsagePlan").values()
        }
        for plan in apigateway.get_usage_plans().get("items", []):
            if plan.get("name") in names:
                plan_keys = apigateway.get_usage_plan_keys(usagePlanId=plan["id"]).get("items", [])
                if any(k["id"] == key["id"] for k in plan_keys):
                    return True
        return False

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
        """Lambda's stream event source mapping, with the template's settings: batches of
        BatchSize after the filters; a batch that raises is split in two when
        BisectBatchOnFunctionError is on (a split is not a retry), else retried; a partial
        failure is retried from its first failed record; past MaximumRetryAttempts or
        MaximumRecordAgeInSeconds the batch's stream positions go to the on-failure
        destination and the stream moves on."""
        records = self._pending_stream_records()
        if not records:
            return 0
        subscription = self.template.stream_subscriptions()[0]
        done = 0
        while done < len(records):
            batch = records[done : done + self._batch_size(subscription)]
            selected = [
                r for r in batch if not subscription.filters or any(matches(f, r) for f in subscription.filters)
            ]
            if not selected:
                done += self._advance(len(batch))
                continue
            for record in selected:
                record["eventSourceARN"] = self._stream_arn
            try:
                answer = self.invoke(subscription.function, {"Records": selected}) or {}
            except Exception:  # noqa: BLE001 - any failure of the function is retried
                self.stream_failures += 1
                if subscription.bisect_on_error and len(selected) > 1:
                    until = self._bisected[0] if self._bisected else self._stream_position + len(batch)
                    self._bisected = (until, (len(batch) + 1) // 2)
                    return done + 1
                if condition := self._stream_batch_expired(subscription, selected):
                    done += self._dead_letter_stream_batch(subscription, selected, len(batch), condition)
                    continue
                return done + 1
            failures = answer.get("batchItemFailures") or []
            if not failures:
                done += self._advance(len(batch))
                continue
            # Lambda retries the batch from the first failed record, on the next pump.
            failed = failures[0]["itemIdentifier"]
            offset = next(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] == failed)
            if offset:
                done += self._advance(offset)
            rest = [r for r in selected if int(r["dynamodb"]["SequenceNumber"]) >= int(failed)]
            if condition := self._stream_batch_expired(subscription, rest):
                done += self._dead_letter_stream_batch(subscription, rest, len(batch) - offset, condition)
                continue
            return done + 1
        return done

    def _batch_size(self, subscription: StreamSubscription) -> int:
        """BatchSize, or half the batch that failed while a split batch is being worked through."""
        if self._bisected is not None and self._stream_position < self._bisected[0]:
            return self._bisected[1]
        self._bisected = None
        return subscription.batch_size

    def _advance(self, count: int) -> int:
        self._stream_position += count
        self._stream_attempts = 0
        return count

    def _stream_batch_expired(self, subscription: StreamSubscription, selected: list[dict[str, Any]]) -> str | None:
        """Counts a failed attempt; answers why the batch goes no further (None: retry it)."""
        self._stream_attempts += 1
        if 0 <= subscription.max_retries < self._stream_attempts:
            return "RetryAttemptsExhausted"
        oldest = min(r["dynamodb"].get("ApproximateCreationDateTime", time.time()) for r in selected)
        if 0 <= subscription.max_record_age_seconds < time.time() - oldest:
            return "RecordAgeExceeded"
        return None

    def _dead_letter_stream_batch(
        self, subscription: StreamSubscription, selected: list[dict[str, Any]], raw: int, condition: str
    ) -> int:
        """The on-failure record Lambda sends for a stream batch: positions, not the records."""
        first, last = selected[0], selected[-1]

        def arrival(record: dict[str, Any]) -> str:
            stamp = record["dynamodb"].get("ApproximateCreationDateTime", time.time())
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))

        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:planhub-local-{subscription.function}",
                "condition": condition,
                "approximateInvokeCount": self._stream_attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "DDBStreamBatchInfo": {
                "shardId": "shardId-local",
                "startSequenceNumber": first["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": last["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival(first),
                "approximateArrivalOfLastRecord": arrival(last),
                "batchSize": len(selected),
                "streamArn": self._stream_arn,
            },
        }
        self.failures.append(record)
        if subscription.on_failure in self.queue_urls:
            self.sqs.send_message(QueueUrl=self.queue_urls[subscription.on_failure], MessageBody=json.dumps(record))
        return self._advance(raw)

    def _pump_queues(self) -> int:
        processed = sum(self._pump_queue(subscription) for subscription in self.template.queue_subscriptions())
        for rule in self.template.rules():
            if rule.queue is not None:
                continue
            url = self.rule_queues[rule.name]
            while True:
                messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    event = json.loads(message["Body"])
                    self.invoke_async(rule.function, rule.name, event, rule.max_retries)
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    processed += 1
        return processed

    def _pump_queue(self, subscription: QueueSubscription) -> int:
        """Lambda's SQS event source: batches of BatchSize; a message the function reports as
        failed (or all, if it raised) is received again (locally at once; on AWS after the
        visibility timeout), and after maxReceiveCount receives the queue moves it to its
        dead-letter queue, its body unchanged. Invocations are one at a time here, which
        MaximumConcurrency allows."""
        url = self.queue_urls[subscription.queue]
        processed = 0
        while messages := self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, subscription.batch_size),
            AttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", []):
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.template.arn(subscription.queue),
                }
                for m in messages
            ]
            try:
                answer = self.invoke(subscription.function, {"Records": records}) or {}
                failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures") or []}
            except Exception:  # noqa: BLE001 - the whole batch returns to the queue
                failed = {m["MessageId"] for m in messages}
            for message in messages:
                processed += 1
                if message["MessageId"] not in failed:
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    self.delivered.append(
                        DeliveredEvent(subscription.queue, subscription.function, json.loads(message["Body"]))
                    )
                    continue
                receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
                limit = subscription.max_receive_count
                if limit is not None and receives >= limit and subscription.dead_letter_queue:
                    self.failures.append(json.loads(message["Body"]))
                    self.sqs.send_message(
                        QueueUrl=self.queue_urls[subscription.dead_letter_queue], MessageBody=message["Body"]
                    )
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    self.sqs.change_message_visibility(
                        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
        return processed

    def invoke_async(self, function: str, rule: str, event: dict[str, Any], max_retries: int) -> None:
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
