"""Where moto 5.2 differs from DynamoDB in ways our tests would feel.

1. Atomic calls. moto's backends are not thread-safe: two concurrent conditional writes
   could both pass their condition, which real DynamoDB never allows. Every moto call is
   made under one lock, so each call is atomic, as each DynamoDB call is. The same wrapper
   hands each answered call to `dynamodb_calls`, which records a thread's DynamoDB calls.
2. Transactions. moto copies the whole table (items, indexes and stream) once per item of
   every TransactWriteItems, to roll back on failure: a transaction costs O(items x table
   size), and a table of a few thousand items makes tests crawl and eat gigabytes.
   DynamoDB evaluates every condition against the state before the transaction, then
   applies all writes or none. This does the same: conditions first, writes after, and if
   a write still fails, only the items it touched (and the stream records it added) are
   put back.
3. Idempotent transactions. DynamoDB answers success to a repeated TransactWriteItems with
   the same ClientRequestToken (for ten minutes) without writing again; moto ignores the
   token, so a retry after a lost answer would fail on its own first write. Here a repeated
   token with the same request answers as the first time did.
4. Queries. moto sorts every item of the table for each Query and then keeps the queried
   partition's; DynamoDB reads the partition alone. A table Query here reads only its
   partition (then filters and sorts exactly as moto does), so a big table does not make
   every small Query slow.
5. Index Queries. moto reads every item of the table for each Query on a global secondary
   index, to keep those whose index hash key matches. Here each table keeps, per index hash
   key attribute, which items hold which value (built on the first index Query, then kept
   up to date by every put, delete and update), and an index Query reads only the items of
   its index partition (then filters, sorts and pages exactly as moto does).

And where moto accepts what AWS refuses, at limits our code can reach:

6. PutEvents over 256 KB. moto puts a request of any size on the bus; EventBridge refuses
   one whose entries total more than 256 KB (counted as `planhub.events.entry_size` does,
   AWS's own rule) with a ValidationException, and so does this.
7. SES's maximum send rate. moto sends any number of emails a second; SES throttles an
   account above its rate ("Throttling: Maximum sending rate exceeded."). `ses_send_rate`
   does the same, at the rate the local stack sets (the template's EmailMaxSendRate),
   measured on `ses_clock`: real time plus the time slept on it, so an email function that
   paces itself on the same clock (the stack hands it over) waits no real time.

And where moto's own cost grows with the work in flight (a burst of thousands of emails):

8. SQS receives. For every message it hands out, moto checks the retention period by
   computing all of the queue's attributes, three times (each count walks every message):
   a receive costs O(queue length), a drain O(n^2). Here the check reads the period alone,
   and GetQueueAttributes computes the attributes once per call.
9. EventBridge input paths. moto builds a JSONPath parser (PLY tables) for each input path
   of each matched target of each event, ~0.1 s a delivery. Here parsed paths are cached.
10. Item sizes. moto checks the 400 KB item limit on every attribute it sets by summing the
   sizes of all the item's attributes again: O(attributes^2) per item written (several ms
   for an outbox event). Here a new item's size is summed once, with the same limit.
11. DynamoDB answers. moto serializes each answer by walking the botocore model, and for
   every member of every `AttributeValue` (ten of them: S, N, B, M, L, ...) it tries up to
   six alias names to find the member in its dict: most of a BatchGetItem or Query answer's
   cost, and ~40% of the CPU of a group fan-out. Here an `AttributeValue` dict is read by
   the member names alone (the only keys moto's dicts hold), in the model's order; each
   member present is still serialized by moto's own code (blobs in base64, maps and lists
   recursively), so the answer is byte for byte the same.
"""

from __future__ import annotations

import copy
import threading
import time
import warnings
from typing import Any

lock = threading.RLock()  # held for every moto call
_applied = False

_WRITE_OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}


def apply() -> None:
    global _applied  # noqa: PLW0603 - patch the process once
    if _applied:
        return
    _serialize_calls()
    _check_then_apply_transactions()
    _idempotent_transactions()
    _queries_read_one_partition()
    _index_queries_read_one_partition()
    _put_events_size_limit()
    _ses_send_rate_limit()
    _sqs_costs_independent_of_queue_length()
    _eventbridge_input_paths_parsed_once()
    _item_size_checked_once()
    _attribute_values_by_member_name()
    _applied = True


class SimulatedClock:
    """Real time plus every wait slept on it: `sleep` advances it at once."""

    def __init__(self) -> None:
        self._slept = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return time.monotonic() + self._slept

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._slept += max(0.0, seconds)

    @property
    def slept(self) -> float:
        return self._slept


ses_clock = SimulatedClock()


class SendRate:
    """SES's maximum send rate: a bucket of one second's sends, refilled at the rate."""

    def __init__(self) -> None:
        self.per_second: float | None = None  # None: unlimited
        self.sent = 0
        self.throttled = 0
        self._tokens = 0.0
        self._updated = 0.0

    def configure(self, per_second: float | None) -> None:
        self.per_second = per_second
        self.sent = self.throttled = 0
        self._tokens = per_second or 0.0
        self._updated = ses_clock.monotonic()

    def take(self) -> bool:
        if self.per_second is None:
            self.sent += 1
            return True
        now = ses_clock.monotonic()
        self._tokens = min(self.per_second, self._tokens + (now - self._updated) * self.per_second)
        self._updated = now
        if self._tokens < 1:
            self.throttled += 1
            return False
        self._tokens -= 1
        self.sent += 1
        return True


ses_send_rate = SendRate()


def _ses_send_rate_limit() -> None:
    from moto.ses.exceptions import SesError
    from moto.ses.responses import EmailResponse

    class Throttling(SesError):
        code = "Throttling"

    # SES's model names no Throttling shape (it is a common error): moto warns, then answers it.
    warnings.filterwarnings("ignore", message=r"Exception\(Throttling\) with code Throttling does not match")

    original = EmailResponse.send_email

    def send_email(self: Any) -> Any:
        if not ses_send_rate.take():
            raise Throttling("Maximum sending rate exceeded.")
        return original(self)

    EmailResponse.send_email = send_email  # type: ignore[method-assign]


PUT_EVENTS_MAX_BYTES = 256 * 1024


def _put_events_size_limit() -> None:
    from moto.events.exceptions import ValidationException
    from moto.events.responses import EventsHandler

    original = EventsHandler.put_events

    def put_events(self: Any) -> Any:
        size = 0
        for entry in self._get_param("Entries") or []:
            size += 14 if entry.get("Time") is not None else 0
            for part in (
                entry.get("Source"),
                entry.get("DetailType"),
                entry.get("Detail"),
                *entry.get("Resources", []),
            ):
                size += len(part.encode()) if part else 0
        if size > PUT_EVENTS_MAX_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        return original(self)

    EventsHandler.put_events = put_events  # type: ignore[method-assign]


def _serialize_calls() -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    from planhub_local import dynamodb_calls

    original = BotocoreStubber.__call__

    def serialized(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        with lock:
            response = original(self, event_name, request, **kwargs)
        dynamodb_calls.answered(event_name, request, response)  # outside the lock: it parses JSON
        return response

    BotocoreStubber.__call__ = serialized  # type: ignore[method-assign]


def _idempotent_transactions() -> None:
    import hashlib
    import json

    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.transact_write_items
    answered: dict[str, tuple[str, Any]] = {}  # token -> (request digest, first answer)

    def transact_write_items(self: Any) -> Any:
        token = self.body.get("ClientRequestToken")
        if not token:
            return original(self)
        digest = hashlib.sha256(json.dumps(self.body["TransactItems"], sort_keys=True).encode()).hexdigest()
        previous = answered.get(token)
        if previous is not None and previous[0] == digest:
            return previous[1]
        answer = original(self)
        answered[token] = (digest, answer)
        return answer

    DynamoHandler.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _queries_read_one_partition() -> None:
    from moto.dynamodb.models.table import Table

    original = Table.query

    def query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto passes index_name as the 7th argument after the hash key, or by name.
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None or not table.range_key_attr:
            return original(table, hash_key, *args, **kwargs)
        table.all_items = lambda: list(table.items.get(hash_key, {}).values())
        try:
            return original(table, hash_key, *args, **kwargs)
        finally:
            del table.all_items

    Table.query = query  # type: ignore[method-assign,assignment]


class _IndexPartitions:
    """For one table: per index hash key attribute, value -> the keys of the items holding it."""

    def __init__(self, table: Any, attributes: set[str]) -> None:
        self.attributes = attributes
        self.partitions: dict[str, dict[Any, dict[Any, None]]] = {name: {} for name in attributes}
        self.held: dict[Any, dict[str, Any]] = {}  # item key -> {attribute: value}
        for item in _all_items(table):
            self.reindex((item.hash_key, item.range_key), item)

    def reindex(self, key: Any, item: Any) -> None:
        for name, value in self.held.pop(key, {}).items():
            members = self.partitions[name][value]
            del members[key]
            if not members:
                del self.partitions[name][value]
        if item is None:
            return
        held = {name: item.attrs[name] for name in self.attributes if item.attrs.get(name) is not None}
        for name, value in held.items():
            self.partitions[name].setdefault(value, {})[key] = None
        if held:
            self.held[key] = held


_PARTITIONS = "_planhub_index_partitions"  # kept on the moto table itself: it lives as long as the table


def _all_items(table: Any) -> list[Any]:
    from moto.dynamodb.models.table import Table

    items: list[Any] = Table.all_items(table)
    return items


def _index_queries_read_one_partition() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_put = Table.put_item
    original_delete = Table.delete_item
    original_update = DynamoDBBackend.update_item

    def partitions_of(table: Any) -> _IndexPartitions | None:
        partitions: _IndexPartitions | None = getattr(table, _PARTITIONS, None)
        return partitions

    def put_item(table: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(table, *args, **kwargs)
        partitions = partitions_of(table)
        if partitions is not None and item is not None:
            partitions.reindex((item.hash_key, item.range_key), item)
        return item

    def delete_item(table: Any, hash_key: Any, range_key: Any = None, *args: Any, **kwargs: Any) -> Any:
        deleted = original_delete(table, hash_key, range_key, *args, **kwargs)
        partitions = partitions_of(table)
        if partitions is not None and deleted is not None:
            partitions.reindex((deleted.hash_key, deleted.range_key), None)
        return deleted

    def update_item(backend: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        item = original_update(backend, table_name, *args, **kwargs)  # changes the stored item in place
        partitions = partitions_of(backend.get_table(table_name))
        if partitions is not None and item is not None:
            partitions.reindex((item.hash_key, item.range_key), item)
        return item

    def query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions") or []
        index = next((i for i in table.global_indexes if i.name == index_name), None) if index_name else None
        hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"] if index else []
        if len(hash_keys) != 1 or len(conditions) != 1 or conditions[0][0] != hash_keys[0]:
            return original_query(table, hash_key, *args, **kwargs)
        partitions = partitions_of(table)
        if partitions is None or hash_keys[0] not in partitions.attributes:
            attributes = {k["AttributeName"] for i in table.global_indexes for k in i.schema if k["KeyType"] == "HASH"}
            partitions = _IndexPartitions(table, attributes)
            setattr(table, _PARTITIONS, partitions)
        keys = list(partitions.partitions[hash_keys[0]].get(conditions[0][1], {}))
        stored = table.items
        found = [stored[h][r] for h, r in keys] if table.range_key_attr else [stored[h] for h, _ in keys]
        table.all_items = lambda: found
        try:
            return original_query(table, hash_key, *args, **kwargs)
        finally:
            del table.all_items

    Table.query = query  # type: ignore[method-assign,assignment]
    Table.put_item = put_item  # type: ignore[method-assign,assignment]
    Table.delete_item = delete_item  # type: ignore[method-assign,assignment]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign,assignment]


def _check_then_apply_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        from moto.dynamodb.exceptions import TooManyTransactionsException, TransactionCanceledException

        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        planned, reasons = _check_conditions(self, transact_items)
        if any(code is not None for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)
        _apply_writes(self, planned)

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


_Planned = tuple[str, dict[str, Any], str, dict[str, Any], Any]  # operation, request, table, key, item before
_Reason = tuple[str | None, str | None, dict[str, Any] | None]


def _check_conditions(backend: Any, transact_items: list[dict[str, Any]]) -> tuple[list[_Planned], list[_Reason]]:
    """Every condition, evaluated against the state before the transaction."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import MultipleTransactionsException, TransactWriteSingleOpException

    planned: list[_Planned] = []
    reasons: list[_Reason] = []
    seen: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(entry.items()))
        if op_type not in _WRITE_OPERATIONS:
            raise ValueError("Unsupported transaction operation")
        table_name = op["TableName"]
        key = _key_of(backend.get_table(table_name), op_type, op)
        identity = (table_name, str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        current = backend.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        if condition is not None and not get_filter_expression(condition, names, values).expr(current):
            wants_item = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
            stored = current.to_json()["Attributes"] if wants_item and current else None
            reasons.append(("ConditionalCheckFailed", "The conditional request failed", stored))
        else:
            reasons.append((None, None, None))
        planned.append((op_type, op, table_name, key, copy.deepcopy(current)))
    return planned, reasons


def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _apply_writes(backend: Any, planned: list[_Planned]) -> None:
    """All writes; if one still fails, the touched items and their stream records are put back."""
    from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException

    streams = {name: backend.get_table(name).stream_shard for _, _, name, _, _ in planned}
    stream_lengths = {name: len(shard.items) for name, shard in streams.items() if shard is not None}
    try:
        for op_type, op, table_name, key, _ in planned:
            if op_type == "Put":
                backend.put_item(table_name, op["Item"])
            elif op_type == "Delete":
                backend.delete_item(table_name, key)
            elif op_type == "Update":
                backend.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=op.get("ExpressionAttributeNames"),
                    expression_attribute_values=op.get("ExpressionAttributeValues"),
                )
    except Exception as error:
        for _, _, table_name, key, original in planned:
            if original is not None:
                backend.put_item(table_name, original.to_json()["Attributes"])
            elif backend.get_item(table_name, key) is not None:
                backend.delete_item(table_name, key)
        for name, length in stream_lengths.items():
            del streams[name].items[length:]
        if isinstance(error, MockValidationException):
            raise
        raise TransactionCanceledException([(type(error).__name__, str(error), None) for _ in planned]) from error


def _sqs_costs_independent_of_queue_length() -> None:
    from moto.core.utils import unix_time
    from moto.sqs.models import Message, SQSBackend

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Message) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return bool(retention_period + message.sent_timestamp / 1000 > unix_time())  # type: ignore[operator]

    original_attributes = SQSBackend.get_queue_attributes

    def get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        if not attribute_names or "All" in attribute_names:
            return original_attributes(self, queue_name, attribute_names)
        queue = self.get_queue(queue_name)
        valid = {"All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES}
        if any(name not in valid for name in attribute_names):
            return original_attributes(self, queue_name, attribute_names)  # moto's error
        computed = queue.attributes  # once, not three times per name
        return {name: computed[name] for name in attribute_names if computed.get(name) is not None}

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]
    SQSBackend.get_queue_attributes = get_queue_attributes  # type: ignore[method-assign]


def _eventbridge_input_paths_parsed_once() -> None:
    import functools

    import jsonpath_ng.ext

    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)  # type: ignore[attr-defined]


def _item_size_checked_once() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    def init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        converted = {key: DynamoType(value) for key, value in attrs.items()}
        if sum(bytesize(key) + value.size() for key, value in converted.items()) > 405000:  # moto's limit
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict()
        dict.update(self.attrs, converted)  # later sets (updates) are still checked by moto

    Item.__init__ = init  # type: ignore[method-assign]


def _attribute_values_by_member_name() -> None:
    from moto.core.serialize import BaseJSONSerializer

    serialize_structure = BaseJSONSerializer._serialize_type_structure

    def serialize(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            shape.name != "AttributeValue"
            or type(value) is not dict
            or not key
            or getattr(self._value_picker, "response_transformers", None)
        ):
            serialize_structure(self, serialized, value, shape, key)
            return
        wrapper = self.MAP_TYPE()
        for name, member in shape.members.items():
            member.parent = shape
            member_value = value.get(name)  # moto's dicts hold the member names, never an alias
            if member_value is not None:
                self._serialize(wrapper, member_value, member, name)
        self._default_serialize(serialized, wrapper, shape, key)

    serialize.original = serialize_structure  # type: ignore[attr-defined] # for the patch's test
    BaseJSONSerializer._serialize_type_structure = serialize  # type: ignore[method-assign]
