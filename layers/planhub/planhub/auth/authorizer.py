"""The API's Lambda REQUEST authorizer: one verification per request, claims to the handler.

The token comes from the `jwt` query parameter (Go1 style) or `Authorization: Bearer`.
A bad token is refused at the gateway: on the Go1 routes (`/enrolment/...`) with a Deny
(403, as their seeds say), elsewhere with "Unauthorized" (401).
"""

from __future__ import annotations

from typing import Any

from planhub.auth.claims import Claims

GO1_PREFIX = "/enrolment"
UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway turns into a 401
REFUSALS_METRIC = "TokensRefused"  # one per 401 refusal (AuthorizerErrorsAlarm in template.yaml)


def token_from_request(event: dict[str, Any]) -> str | None:
    query = event.get("queryStringParameters") or {}
    if query.get("jwt"):
        return str(query["jwt"])
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    authorization = headers.get("authorization") or ""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def is_go1_route(event: dict[str, Any]) -> bool:
    resource = event.get("resource") or event.get("path") or ""
    return resource == GO1_PREFIX or resource.startswith(GO1_PREFIX + "/")


def _policy(principal_id: str, effect: str, method_arn: str) -> dict[str, Any]:
    # The whole API, not just this method: a cached Allow must not deny the caller's next route.
    api_arn = "/".join(method_arn.split("/")[:2]) + "/*"
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": api_arn}],
        },
    }


def allow(claims: Claims, method_arn: str, *, usage_identifier: str | None = None) -> dict[str, Any]:
    answer = _policy(claims.sub, "Allow", method_arn)
    answer["context"] = {"claims": claims.to_context()}
    if usage_identifier:
        # API Gateway meters and throttles the request against this API key's usage plan.
        answer["usageIdentifierKey"] = usage_identifier
    return answer


def deny(method_arn: str) -> dict[str, Any]:
    return _policy("anonymous", "Deny", method_arn)


def api_key_of(event: dict[str, Any]) -> str | None:
    """The `X-Share-Api-Key` header (subscription-plan routes), used as the usage identifier."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    key = headers.get("x-share-api-key")
    return str(key) if key else None
