"""Floor 2: the libraries we chose and nothing of ours: a boto3 client, Powertools' REST
resolver with validation, pydantic with one model; one route that reads one item."""

import os
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from pydantic import BaseModel

client = boto3.client("dynamodb")
TABLE = os.environ["TABLE_NAME"]
app = APIGatewayRestResolver(enable_validation=True)


class Portal(BaseModel):
    id: str
    name: str


@app.get("/admin/portals/<portalId>")
def get_portal(portalId: str) -> Portal:
    answer = client.get_item(TableName=TABLE, Key={"PK": {"S": f"PORTAL#{portalId}"}, "SK": {"S": "PORTAL"}})
    if "Item" not in answer:
        raise NotFoundError("portal not found")
    return Portal(id=portalId, name=answer["Item"]["name"]["S"])


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
