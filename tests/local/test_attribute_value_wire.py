"""moto patch 11 (planhub_local.moto_patches): attribute values are serialized by member name,
and the answer is what moto's own model walk gives, for every kind of value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.responses import BaseResponse
from moto.core.serialize import BaseJSONSerializer, XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model

from planhub_local import moto_patches
from planhub_local.stack import configure_process

configure_process()

EVERY_KIND: dict[str, Any] = {
    "PK": {"S": "p"},
    "SK": {"S": "s"},
    "text": {"S": "héllo"},
    "empty": {"S": ""},
    "number": {"N": "-12.50"},
    "blob": {"B": b"\x00\xffbytes"},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"x", b"y"]},
    "nothing": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "map": {"M": {"inner": {"L": [{"S": "x"}, {"M": {"deep": {"N": "1"}}}, {"L": []}]}, "empty": {"M": {}}}},
    "list": {"L": [{"BOOL": False}, {"NULL": True}, {"B": b"z"}]},
}


@pytest.fixture
def client() -> Iterator[Any]:
    moto_patches.apply()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        )
        yield dynamodb


def with_moto_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put moto's own structure walk back, for the rest of one test."""
    monkeypatch.setattr(
        BaseJSONSerializer,
        "_serialize_type_structure",
        BaseJSONSerializer._serialize_type_structure.original,  # type: ignore[attr-defined]
    )


def answer_body(operation: str, result: dict[str, Any]) -> str:
    model = get_service_model("dynamodb")
    serializer = get_serializer_class("dynamodb", "json")(
        operation_model=model.operation_model(operation),
        pretty_print=False,
        value_picker=XFormedAttributePicker(response_transformers=BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER),
    )
    return str(serializer.serialize(result)["body"])


def test_every_kind_of_value_round_trips_through_the_local_dynamodb(client: Any) -> None:
    client.put_item(TableName="t", Item=EVERY_KIND)

    got = client.get_item(TableName="t", Key={"PK": {"S": "p"}, "SK": {"S": "s"}})["Item"]
    batch = client.batch_get_item(RequestItems={"t": {"Keys": [{"PK": {"S": "p"}, "SK": {"S": "s"}}]}})
    queried = client.query(
        TableName="t", KeyConditionExpression="PK = :p", ExpressionAttributeValues={":p": {"S": "p"}}
    )

    assert got == EVERY_KIND
    assert batch["Responses"]["t"] == [got]
    assert queried["Items"] == [got]


@pytest.mark.parametrize("operation", ["GetItem", "BatchGetItem", "Query"])
def test_answers_are_byte_for_byte_what_moto_serializes(operation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    moto_patches.apply()
    stored = EVERY_KIND
    result: Any = {
        "GetItem": {"Item": stored},
        "BatchGetItem": {"Responses": {"t": [stored, stored]}, "UnprocessedKeys": {}},
        "Query": {"Items": [stored], "Count": 1, "ScannedCount": 1, "LastEvaluatedKey": {"PK": {"S": "p"}}},
    }[operation]

    patched = answer_body(operation, result)
    with_moto_walk(monkeypatch)
    assert patched == answer_body(operation, result)
    assert json.loads(patched)  # the answer is not empty
