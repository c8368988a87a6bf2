"""Floor 1: a handler that imports boto3 and makes a DynamoDB client, nothing else."""

import os
from typing import Any

import boto3

client = boto3.client("dynamodb")
TABLE = os.environ["TABLE_NAME"]


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    answer = client.get_item(TableName=TABLE, Key={"PK": {"S": "floor"}, "SK": {"S": "floor"}})
    return {"statusCode": 200 if "Item" in answer else 404, "body": ""}
