"""API Gateway, locally: routes from template.yaml, the REQUEST authorizer, gateway
responses, and REST proxy events (payload format 1.0) for the functions."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from planhub_local.stack import LocalStack
from planhub_local.template import ACCOUNT, REGION, Route, unquoted

API_ID = "local"


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class Gateway:
    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.routes = stack.template.routes()
        self.authorizer = stack.template.authorizer_function()
        self.responses = stack.template.gateway_responses()
        self.stage = stack.template.stage()
        self.cors = stack.template.cors()

    def route_for(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method in (method, "ANY"):
                return route, match.groupdict()
        return None

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str] | None = None, body: bytes | str | None = None
    ) -> HttpResponse:
        request_id = str(uuid.uuid4())
        path, _, query_string = raw_path.partition("?")
        headers = dict(headers or {})
        if method.upper() == "OPTIONS" and self.cors is not None and self._known_path(path):
            # CORS preflight: API Gateway's mock integration answers it, no authorizer, no function.
            return self._with_id(HttpResponse(200, {"Content-Type": "application/json", **self.cors}, ""), request_id)
        found = self.route_for(method.upper(), path)
        if found is None:
            # What API Gateway answers for a path or method it does not know.
            return self._with_id(
                HttpResponse(
                    403,
                    {"Content-Type": "application/json", **self._gateway_headers("MISSING_AUTHENTICATION_TOKEN", 403)},
                    '{"message":"Missing Authentication Token"}',
                ),
                request_id,
            )
        route, path_parameters = found
        event = self._proxy_event(route, method.upper(), path, query_string, headers, body, path_parameters, request_id)
        if route.authorized and self.authorizer:
            refusal = self._authorize(event, route)
            if refusal is not None:
                return self._with_id(refusal, request_id)
        try:
            answer = self.stack.invoke(route.function, event)
        except Exception:  # noqa: BLE001 - a crashed function is a 502, as on API Gateway
            return self._with_id(self._bad_gateway(), request_id)
        return self._with_id(self._from_proxy_answer(answer), request_id)

    def _known_path(self, path: str) -> bool:
        return any(route.pattern.match(path) for route in self.routes)

    def _gateway_headers(self, kind: str, status: int) -> dict[str, str]:
        """The headers a gateway response of `kind` carries (its own, else DEFAULT_4XX/5XX's)."""
        configured = (
            self.responses.get(kind) or self.responses.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX") or {}
        )
        headers = (configured.get("ResponseParameters") or {}).get("Headers") or {}
        return {name: unquoted(str(value)) for name, value in headers.items()}

    def _bad_gateway(self) -> HttpResponse:
        headers = {"Content-Type": "application/json", **self._gateway_headers("INTEGRATION_FAILURE", 502)}
        return HttpResponse(502, headers, '{"message": "Internal server error"}')

    def _with_id(self, response: HttpResponse, request_id: str) -> HttpResponse:
        response.headers["x-amzn-RequestId"] = request_id
        return response

    def _proxy_event(  # noqa: PLR0917 - one argument per part of the request
        self,
        route: Route,
        method: str,
        path: str,
        query_string: str,
        headers: dict[str, str],
        body: bytes | str | None,
        path_parameters: dict[str, str],
        request_id: str,
    ) -> dict[str, Any]:
        multi_query = parse_qs(query_string, keep_blank_values=True) if query_string else {}
        raw = body.encode() if isinstance(body, str) else body
        is_base64 = False
        text: str | None = None
        if raw:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text, is_base64 = base64.b64encode(raw).decode(), True
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": headers or None,
            "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": API_ID,
                "resourcePath": route.path,
                "httpMethod": method,
                "path": f"/{self.stage}{path}",
                "stage": self.stage,
                "requestId": request_id,
                "extendedRequestId": request_id,
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
                "requestTimeEpoch": int(time.time() * 1000),
                "protocol": "HTTP/1.1",
                "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent")},
                "domainName": "127.0.0.1",
            },
            "body": text,
            "isBase64Encoded": is_base64,
        }

    def _authorize(self, event: dict[str, Any], route: Route) -> HttpResponse | None:
        """Runs the REQUEST authorizer; answers the gateway's refusal, or None and sets the context."""
        assert self.authorizer is not None
        method_arn = (
            f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{self.stage}/{event['httpMethod']}{event['resource']}"
        )
        authorizer_event = {
            "type": "REQUEST",
            "methodArn": method_arn,
            **{
                k: event[k]
                for k in (
                    "resource",
                    "path",
                    "httpMethod",
                    "headers",
                    "multiValueHeaders",
                    "queryStringParameters",
                    "multiValueQueryStringParameters",
                    "pathParameters",
                    "stageVariables",
                    "requestContext",
                )
            },
        }
        try:
            decision = self.stack.invoke(self.authorizer, authorizer_event)
        except Exception as error:  # noqa: BLE001 - the authorizer's refusal is an exception
            if str(error) == "Unauthorized":
                return self._gateway_response("UNAUTHORIZED", 401)
            return self._gateway_response("AUTHORIZER_FAILURE", 500)
        statements = decision.get("policyDocument", {}).get("Statement", [])
        if not statements or any(s.get("Effect") != "Allow" for s in statements):
            return self._gateway_response("ACCESS_DENIED", 403)
        if route.api_key_required and not self.stack.api_key_accepted(decision.get("usageIdentifierKey")):
            # ApiKeySourceType AUTHORIZER: API Gateway refuses a key it does not know, or one
            # not on a usage plan of the stage, with 403 {"message":"Forbidden"}.
            return self._gateway_response("INVALID_API_KEY", 403, '{"message":"Forbidden"}')
        context = dict(decision.get("context") or {})
        event["requestContext"]["authorizer"] = {"principalId": decision.get("principalId"), **context}
        return None

    def _gateway_response(self, kind: str, default_status: int, default_body: str | None = None) -> HttpResponse:
        configured = (
            self.responses.get(kind)
            or self.responses.get("DEFAULT_5XX" if default_status >= 500 else "DEFAULT_4XX")
            or {}
        )
        body = (
            (configured.get("ResponseTemplates") or {}).get("application/json")
            or default_body
            or json.dumps({"message": kind.title()})
        )
        status = int(configured.get("StatusCode", default_status)) if kind in self.responses else default_status
        return HttpResponse(status, {"Content-Type": "application/json", **self._gateway_headers(kind, status)}, body)

    def _from_proxy_answer(self, answer: Any) -> HttpResponse:
        if not isinstance(answer, dict) or "statusCode" not in answer:
            return self._bad_gateway()
        headers = {k: str(v) for k, v in (answer.get("headers") or {}).items()}
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(str(v) for v in values)
        body = answer.get("body") or ""
        if answer.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        return HttpResponse(int(answer["statusCode"]), headers, body)
