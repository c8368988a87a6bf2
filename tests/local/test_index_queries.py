"""moto patch 5 (planhub_local.moto_patches): an index Query reads its index partition only, and
answers what moto's full read answered, through puts, updates, deletes, transactions and paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from planhub_local.stack import configure_process

configure_process()


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "G", "GS")],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "GSI",
                    "KeySchema": [
                        {"AttributeName": "G", "KeyType": "HASH"},
                        {"AttributeName": "GS", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        yield dynamodb


def put(client: Any, pk: str, sk: str, **attrs: str) -> None:
    item = {"PK": {"S": pk}, "SK": {"S": sk}, **{k: {"S": v} for k, v in attrs.items()}}
    client.put_item(TableName="t", Item=item)


def ids(client: Any, partition: str, **kwargs: Any) -> list[str]:
    answer = client.query(
        TableName="t",
        IndexName="GSI",
        KeyConditionExpression="G = :g",
        ExpressionAttributeValues={":g": {"S": partition}},
        **kwargs,
    )
    return [f"{i['PK']['S']}/{i['SK']['S']}" for i in answer["Items"]]


def test_an_index_query_answers_its_partition_through_every_kind_of_write(client: Any) -> None:
    for n in range(30):
        put(client, f"p{n % 3}", f"s{n:02d}", G=f"g{n % 5}", GS=f"{29 - n:02d}")
    put(client, "p9", "no-index-key")  # not in the index at all
    assert ids(client, "g0") == [f"p{n % 3}/s{n:02d}" for n in (25, 20, 15, 10, 5, 0)]

    client.update_item(  # moves an item from g0 to g1
        TableName="t",
        Key={"PK": {"S": "p2"}, "SK": {"S": "s05"}},
        UpdateExpression="SET G = :g",
        ExpressionAttributeValues={":g": {"S": "g1"}},
    )
    client.delete_item(TableName="t", Key={"PK": {"S": "p1"}, "SK": {"S": "s10"}})
    put(client, "p0", "s15", G="g2", GS="99")  # replaced: from g0 to g2
    client.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": "t",
                    "Item": {"PK": {"S": "new"}, "SK": {"S": "x"}, "G": {"S": "g0"}, "GS": {"S": "50"}},
                }
            },
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"PK": {"S": "p2"}, "SK": {"S": "s20"}},
                    "UpdateExpression": "REMOVE G",
                }
            },
        ]
    )

    assert ids(client, "g0") == ["p1/s25", "p0/s00", "new/x"]
    assert ids(client, "g0", ScanIndexForward=False) == ["new/x", "p0/s00", "p1/s25"]
    assert "p2/s05" in ids(client, "g1")
    assert ids(client, "g2")[-1] == "p0/s15"
    assert ids(client, "nothing") == []

    first = client.query(
        TableName="t",
        IndexName="GSI",
        KeyConditionExpression="G = :g AND GS > :s",
        ExpressionAttributeValues={":g": {"S": "g1"}, ":s": {"S": "00"}},
        Limit=2,
    )
    rest = client.query(
        TableName="t",
        IndexName="GSI",
        KeyConditionExpression="G = :g AND GS > :s",
        ExpressionAttributeValues={":g": {"S": "g1"}, ":s": {"S": "00"}},
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    paged = [i["GS"]["S"] for i in first["Items"] + rest["Items"]]
    assert paged == sorted(paged)
    assert len(paged) == len(set(paged)) == len(ids(client, "g1")) - (1 if "00" in paged else 0)


def test_an_index_query_does_not_read_the_whole_table(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(50):
        put(client, f"p{n}", "s", G=f"g{n % 10}", GS=f"{n:02d}")
    ids(client, "g0")  # the index's partitions are built once, here
    reads: list[int] = []
    original = Table.all_items

    def counted(table: Any) -> Any:
        reads.append(1)
        return original(table)

    monkeypatch.setattr(Table, "all_items", counted)
    put(client, "p-late", "s", G="g3", GS="77")

    assert ids(client, "g3") == ["p3/s", "p13/s", "p23/s", "p33/s", "p43/s", "p-late/s"]
    assert reads == []
