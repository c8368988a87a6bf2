"""The table: the only code that calls DynamoDB.

Writes carry their `ConditionExpression`; a failed condition comes back as
`ConditionFailed` (with the item as it stands, from `ReturnValuesOnConditionCheckFailure`)
or `TransactionCanceled` (with one reason per write), and the domain decides what it means.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from planhub.storage import cursor as cursor_codec
from planhub.storage.codec import from_attributes, serialize, to_attributes
from planhub.storage.keys import Key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

BATCH_WRITE_LIMIT = 25  # AWS rejects more (moto accepts 26: do not rely on it)
BATCH_GET_LIMIT = 100
TRANSACTION_LIMIT = 100

_RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=2, read_timeout=5)


class ConditionFailed(Exception):
    """A conditional write found the item not as expected; `item` is what is stored (or None)."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("conditional check failed")
        self.item = item


@dataclass(frozen=True)
class CancellationReason:
    code: str  # "None", "ConditionalCheckFailed", "TransactionConflict", ...
    item: dict[str, Any] | None


class TransactionCanceled(Exception):
    """A transaction was refused; `reasons` line up with the writes that were sent."""

    def __init__(self, reasons: list[CancellationReason]) -> None:
        super().__init__("transaction canceled: " + ", ".join(r.code for r in reasons))
        self.reasons = reasons

    def failed_conditions(self) -> list[int]:
        return [i for i, r in enumerate(self.reasons) if r.code == "ConditionalCheckFailed"]

    @property
    def is_conflict(self) -> bool:
        """True when only a concurrent transaction got in the way (worth a retry)."""
        codes = {r.code for r in self.reasons} - {"None"}
        return bool(codes) and codes <= {"TransactionConflict"}


@dataclass(frozen=True)
class Expression:
    """A condition or update expression with its placeholders."""

    text: str
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def as_params(self, field_name: str) -> dict[str, Any]:
        params: dict[str, Any] = {field_name: self.text}
        if self.names:
            params["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            params["ExpressionAttributeValues"] = {k: serialize(v) for k, v in self.values.items()}
        return params


def _merge(*parts: tuple[str, Expression | None]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field_name, expression in parts:
        if expression is None:
            continue
        part = expression.as_params(field_name)
        names.update(part.pop("ExpressionAttributeNames", {}))
        values.update(part.pop("ExpressionAttributeValues", {}))
        params.update(part)
    if names:
        params["ExpressionAttributeNames"] = names
    if values:
        params["ExpressionAttributeValues"] = values
    return params


@dataclass(frozen=True)
class Put:
    item: dict[str, Any]
    condition: Expression | None = None


@dataclass(frozen=True)
class Update:
    key: Key
    update: Expression
    condition: Expression | None = None


@dataclass(frozen=True)
class Delete:
    key: Key
    condition: Expression | None = None


@dataclass(frozen=True)
class Check:
    key: Key
    condition: Expression


Write = Put | Update | Delete | Check


class Found:
    """Items of one BatchGetItem, addressed by the keys they were asked for."""

    def __init__(self, items: Sequence[dict[str, Any]]) -> None:
        self._items = {(i["PK"], i["SK"]): i for i in items}

    def get(self, key: Key | None) -> dict[str, Any] | None:
        return None if key is None else self._items.get((key["PK"], key["SK"]))

    def including(self, other: Found) -> Found:
        """These items and another read's (the other's win where both hold a key)."""
        return Found([*self._items.values(), *other._items.values()])


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    cursor: str | None


class Table:
    def __init__(self, name: str, client: DynamoDBClient | None = None) -> None:
        self.name = name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        # Created on first use, not at import: a function that never reaches the table
        # (a 400, a 403) pays nothing for it.
        if self._client is None:
            self._client = boto3.client("dynamodb", config=_RETRY_CONFIG)
        return self._client

    # --- reads ------------------------------------------------------------------------

    def get(self, key: Key, *, consistent: bool = False) -> dict[str, Any] | None:
        answer = self.client.get_item(TableName=self.name, Key=to_attributes(dict(key)), ConsistentRead=consistent)
        item = answer.get("Item")
        return from_attributes(item) if item else None

    def found(self, keys: Sequence[Key | None], *, consistent: bool = False) -> Found:
        """The items of `keys` (None entries skipped), addressed by their keys: one BatchGetItem
        per 100 keys, none for no key."""
        wanted = [k for k in keys if k is not None]
        return Found(self.get_many(wanted, consistent=consistent) if wanted else [])

    def get_many(self, keys: Sequence[Key], *, consistent: bool = False) -> list[dict[str, Any]]:
        """BatchGetItem in chunks of 100, retrying unprocessed keys; order is not kept."""
        found: list[dict[str, Any]] = []
        unique = list({(k["PK"], k["SK"]): k for k in keys}.values())
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self.name: {
                    "Keys": [to_attributes(dict(k)) for k in unique[start : start + BATCH_GET_LIMIT]],
                    "ConsistentRead": consistent,
                }
            }
            for attempt in range(8):
                answer = self.client.batch_get_item(RequestItems=request)
                found.extend(from_attributes(i) for i in answer.get("Responses", {}).get(self.name, []))
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError("BatchGetItem left keys unprocessed after retries")
        return found

    def query(
        self,
        pk: str,
        *,
        sk_prefix: str | None = None,
        sk_between: tuple[str, str] | None = None,
        index: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        newest_first: bool = False,
        consistent: bool = False,
        filter_: Expression | None = None,
        attributes: Sequence[str] | None = None,
    ) -> Page:
        """One page of a partition; `attributes` limits what comes back (less to transfer)."""
        pk_name, sk_name = ("PK", "SK") if index is None else (f"{index}PK", f"{index}SK")
        condition = "#pk = :pk"
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": pk}
        if sk_prefix is not None:
            condition += " AND begins_with(#sk, :sk)"
            names["#sk"] = sk_name
            values[":sk"] = sk_prefix
        elif sk_between is not None:
            condition += " AND #sk BETWEEN :lo AND :hi"
            names["#sk"] = sk_name
            values[":lo"], values[":hi"] = sk_between
        params: dict[str, Any] = {
            "TableName": self.name,
            **_merge(("KeyConditionExpression", Expression(condition, names, values)), ("FilterExpression", filter_)),
            "ScanIndexForward": not newest_first,
        }
        if attributes:
            placeholders = {f"#a{i}": name for i, name in enumerate(attributes)}
            params["ProjectionExpression"] = ", ".join(placeholders)
            params["ExpressionAttributeNames"] = {**params.get("ExpressionAttributeNames", {}), **placeholders}
        if index is not None:
            params["IndexName"] = index
        elif consistent:
            params["ConsistentRead"] = True
        if limit is not None:
            params["Limit"] = limit
        start = cursor_codec.decode(cursor, pk=pk, index=index, sk_prefix=sk_prefix, sk_between=sk_between)
        if start:
            params["ExclusiveStartKey"] = start
        answer = self.client.query(**params)
        return Page(
            items=[from_attributes(i) for i in answer.get("Items", [])],
            cursor=cursor_codec.encode(answer.get("LastEvaluatedKey")),
        )

    def first_sort_keys(self, pk: str, prefix: str, count: int, *, descending: bool) -> list[str]:
        """The first `count` sort keys under `prefix` in a partition (strongly consistent), page by
        page: what a list merging several ordered ranges needs before it reads the page's items."""
        found: list[str] = []
        cursor: str | None = None
        while len(found) < count:
            answer = self.query(
                pk, sk_prefix=prefix, limit=count - len(found), cursor=cursor, newest_first=descending, consistent=True
            )
            found.extend(item["SK"] for item in answer.items)
            if answer.cursor is None:
                break
            cursor = answer.cursor
        return found

    def query_all(self, pk: str, **options: Any) -> Iterator[dict[str, Any]]:
        """Every item of a partition (or prefix), page by page."""
        cursor: str | None = None
        while True:
            page = self.query(pk, cursor=cursor, **options)
            yield from page.items
            if page.cursor is None:
                return
            cursor = page.cursor

    # --- writes -----------------------------------------------------------------------

    def put(self, item: dict[str, Any], condition: Expression | None = None) -> None:
        self._single(self.client.put_item, {"Item": to_attributes(item)}, condition)

    def update(self, key: Key, update: Expression, condition: Expression | None = None) -> dict[str, Any]:
        """Applies `update` and answers the item as it is afterwards."""
        params = {
            "Key": to_attributes(dict(key)),
            **_merge(("UpdateExpression", update), ("ConditionExpression", condition)),
            "ReturnValues": "ALL_NEW",
        }
        answer = self._single(self.client.update_item, params, None)
        return from_attributes(answer.get("Attributes", {}))

    def delete(self, key: Key, condition: Expression | None = None) -> None:
        self._single(self.client.delete_item, {"Key": to_attributes(dict(key))}, condition)

    def _single(self, call: Any, params: dict[str, Any], condition: Expression | None) -> Any:
        params = {"TableName": self.name, **params}
        if condition is not None:
            merged = _merge(("ConditionExpression", condition))
            for name in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
                if name in merged:
                    params[name] = {**params.get(name, {}), **merged.pop(name)}
            params.update(merged)
        if "ConditionExpression" in params:
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            return call(**params)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                item = error.response.get("Item")
                raise ConditionFailed(from_attributes(item) if isinstance(item, dict) else None) from error
            raise

    def transact(self, writes: Sequence[Write]) -> None:
        """All of `writes` or none of them (at most 100); idempotent across botocore's retries."""
        if not writes:
            return
        if len(writes) > TRANSACTION_LIMIT:
            raise ValueError(f"a transaction holds at most {TRANSACTION_LIMIT} writes, not {len(writes)}")
        try:
            self.client.transact_write_items(
                TransactItems=[self._transact_item(w) for w in writes],  # type: ignore[misc]
                # botocore resends the same token when it retries (a timeout after the write
                # landed, say): DynamoDB then answers success instead of failing the conditions
                # on the write it already made.
                ClientRequestToken=uuid.uuid4().hex,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [
                CancellationReason(
                    code=r.get("Code", "None"),
                    item=from_attributes(r["Item"]) if r.get("Item") else None,
                )
                for r in error.response.get("CancellationReasons", [])
            ]
            raise TransactionCanceled(reasons) from error

    def _transact_item(self, write: Write) -> dict[str, Any]:
        base: dict[str, Any] = {"TableName": self.name}
        if isinstance(write, Put):
            body = {**base, "Item": to_attributes(write.item), **_merge(("ConditionExpression", write.condition))}
            kind = "Put"
        elif isinstance(write, Update):
            body = {
                **base,
                "Key": to_attributes(dict(write.key)),
                **_merge(("UpdateExpression", write.update), ("ConditionExpression", write.condition)),
            }
            kind = "Update"
        elif isinstance(write, Delete):
            body = {**base, "Key": to_attributes(dict(write.key)), **_merge(("ConditionExpression", write.condition))}
            kind = "Delete"
        else:
            body = {**base, "Key": to_attributes(dict(write.key)), **_merge(("ConditionExpression", write.condition))}
            kind = "ConditionCheck"
        if "ConditionExpression" in body:
            body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {kind: body}

    def write_many(self, puts: Sequence[dict[str, Any]] = (), deletes: Sequence[Key] = ()) -> None:
        """Unconditional BatchWriteItem in chunks of 25, retrying unprocessed items."""
        requests: list[dict[str, Any]] = [{"PutRequest": {"Item": to_attributes(i)}} for i in puts]
        requests += [{"DeleteRequest": {"Key": to_attributes(dict(k))}} for k in deletes]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: dict[str, Any] = {self.name: requests[start : start + BATCH_WRITE_LIMIT]}
            for attempt in range(8):
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError("BatchWriteItem left items unprocessed after retries")


def not_exists() -> Expression:
    return Expression("attribute_not_exists(PK)")


def exists() -> Expression:
    return Expression("attribute_exists(PK)")
