"""API Gateway API keys: a company's `X-Share-Api-Key` values, registered on the usage plan
that throttles the subscription-plan routes per key.

The routes require an API key, and API Gateway only accepts keys it knows: so the catalog
registers each company's keys here when staff set them (and removes the ones they dropped).
The table keeps only fingerprints; API Gateway keeps the keys themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_apigateway.client import APIGatewayClient


def key_name(company_id: str, api_key: str) -> str:
    return f"company-{company_id}-{hashlib.sha256(api_key.encode()).hexdigest()[:16]}"


class UsagePlanNotFound(Exception):
    pass


class ApiKeyTaken(Exception):
    """The key's value is already registered (to another company): API Gateway keeps values
    unique. The message never holds the key: exceptions end up in logs."""

    def __init__(self, api_key: str) -> None:
        super().__init__("an API key is registered to another company")
        self.api_key = api_key


class UsagePlanKeys:
    def __init__(self, usage_plan_name: str, client: APIGatewayClient | None = None) -> None:
        self.usage_plan_name = usage_plan_name
        self._client = client

    def usage_plan_id(self) -> str:
        """Found by name (the template cannot pass the id: see PutCompanyFunction); looked up on
        every change of keys, a rare staff action, so a replaced plan is never stale."""
        for page in self.client.get_paginator("get_usage_plans").paginate():
            for plan in page.get("items", []):
                if plan.get("name") == self.usage_plan_name:
                    return str(plan["id"])
        raise UsagePlanNotFound(f"no usage plan named {self.usage_plan_name}")

    @property
    def client(self) -> APIGatewayClient:
        if self._client is None:
            self._client = boto3.client("apigateway", config=Config(retries={"mode": "standard", "max_attempts": 5}))
        return self._client

    def _registered(self, company_id: str) -> dict[str, dict[str, Any]]:
        """The company's keys on API Gateway, by name."""
        prefix = f"company-{company_id}-"
        found: dict[str, dict[str, Any]] = {}
        for page in self.client.get_paginator("get_api_keys").paginate(nameQuery=prefix):
            found.update({k["name"]: dict(k) for k in page.get("items", []) if k.get("name", "").startswith(prefix)})
        return found

    def register(self, company_id: str, api_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Registers those of `api_keys` the company does not have yet (idempotent), and
        answers the keys it had before, by name, for `drop_all_but`.

        An API key value is unique in API Gateway: a value another company holds raises
        `ApiKeyTaken`, before anything of this company's record is written.
        """
        registered = self._registered(company_id)
        missing = {key_name(company_id, key): key for key in api_keys}
        missing = {name: value for name, value in missing.items() if name not in registered}
        plan_id = self.usage_plan_id() if missing else ""
        for name, value in missing.items():
            try:
                created = self.client.create_api_key(name=name, value=value, enabled=True)
            except self.client.exceptions.ConflictException as error:
                raise ApiKeyTaken(value) from error
            self.client.create_usage_plan_key(usagePlanId=plan_id, keyId=created["id"], keyType="API_KEY")
        return registered

    def drop_all_but(self, company_id: str, api_keys: Sequence[str], registered: dict[str, dict[str, Any]]) -> None:
        """Deletes the company's keys that `register` found and `api_keys` no longer holds
        (the keys it added are all in `api_keys`), without listing them again."""
        wanted = {key_name(company_id, key) for key in api_keys}
        for name, key in registered.items():
            if name not in wanted:
                self.client.delete_api_key(apiKey=key["id"])

    def replace(self, company_id: str, api_keys: Sequence[str]) -> None:
        """Makes the company's registered keys exactly `api_keys` (idempotent: a retried PUT converges)."""
        self.drop_all_but(company_id, api_keys, self.register(company_id, api_keys))
