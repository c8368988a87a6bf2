"""`RestApi`: the resolver every endpoint function uses.

It is Powertools' REST resolver with validation on, plus what every planhub endpoint
shares: the error mapping of `planhub.http.errors`, the caller's claims from the
authorizer, and a `lambda_handler` that logs with the request id, traces and flushes metrics.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import re
import sys
import threading
import typing
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.auth.claims import Claims
from planhub.errors import ConcurrentModification, PlanhubError
from planhub.http import forms
from planhub.http.errors import ErrorStyle, error_response, internal_error_response, validation_response
from planhub.observability import logger, metrics, traced
from planhub.storage.table import TransactionCanceled


class RestApi(APIGatewayRestResolver):
    def __init__(self, style: ErrorStyle = ErrorStyle.MESSAGE, *, go1: bool = False) -> None:
        super().__init__(enable_validation=True, json_body_deserializer=_parse_json, cors=_cors())
        self.style = style
        self.go1 = go1
        self.exception_handler(PlanhubError)(self._domain_error)
        self.exception_handler(RequestValidationError)(self._invalid_request)
        self.exception_handler(NotFoundError)(self._unmatched_path)
        self.exception_handler(TransactionCanceled)(self._canceled_transaction)
        self.exception_handler(Exception)(self._unexpected_error)

    # Powertools keeps the event being resolved on its BaseRouter class, shared by every
    # resolver in the process: requests served on threads of one process (the local server,
    # the concurrency tests) would read one another's body and claims. Each thread keeps its own.
    @property  # type: ignore[override]  # BaseRouter and the REST resolver type it differently
    def current_event(self) -> APIGatewayProxyEvent:
        event: APIGatewayProxyEvent = self._per_thread().event
        return event

    @current_event.setter
    def current_event(self, value: APIGatewayProxyEvent) -> None:
        self._per_thread().event = value

    def _per_thread(self) -> threading.local:
        return self.__dict__.setdefault("_request", threading.local())  # type: ignore[no-any-return]

    def _convert_matches_into_route_keys(self, match: re.Match[str]) -> dict[str, str]:
        # Path ids are validated like ids in bodies, so their percent-encoding is decoded
        # first, once (`a%40b` is `a@b`); bytes that are not UTF-8 become U+FFFD, which no
        # id pattern admits (400).
        return {name: unquote(value, errors="replace") for name, value in match.groupdict().items()}

    @property
    def claims(self) -> Claims:
        """The verified caller (the authorizer put the claims in the request context)."""
        authorizer = self.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}
        return Claims.from_context(authorizer.get("claims"))

    def _domain_error(self, error: PlanhubError) -> Response[str]:
        return self.answer_error(error)

    def answer_error(self, error: PlanhubError) -> Response[str]:
        """The answer to a domain error (for a middleware that answers one itself)."""
        logger.info("request refused", extra={"error": type(error).__name__, "reason": error.message})
        return error_response(error, self.style, go1=self.go1)

    def _invalid_request(self, error: RequestValidationError) -> Response[str]:
        logger.info("request invalid", extra={"errors": str(error.errors())[:2000]})
        return validation_response(error.errors(), self.style)

    def _unmatched_path(self, error: NotFoundError) -> Response[str]:
        # API Gateway matched this function's route, so the path is ours; the resolver's
        # stricter pattern refused a path segment with characters no id holds (a raw quote).
        logger.info("path segment refused", extra={"path": self.current_event.path[:300]})
        return validation_response(
            [{"loc": ("path",), "msg": "holds characters no id may contain", "type": "path_invalid"}], self.style
        )

    def _canceled_transaction(self, error: TransactionCanceled) -> Response[str]:
        # A transaction DynamoDB cancelled only because another one held the same items wrote
        # nothing: where no service retried it, the caller may (409), it is not our failure.
        if error.is_conflict:
            logger.warning(
                "transaction conflict left to the caller", extra={"reasons": [str(r.code) for r in error.reasons]}
            )
            retry = ConcurrentModification("The request met a concurrent change of the same records; retry it")
            return error_response(retry, self.style, go1=self.go1)
        return self._unexpected_error(error)

    def _unexpected_error(self, error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return internal_error_response(self.style)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        # planhub speaks JSON: a body is parsed as JSON whatever Content-Type it came with
        # (curl -d sends form encoding), so the caller gets a JSON error, not a form one.
        # Go1 routes also take forms (the original's PHP clients send them): a form body is
        # read into the JSON its route's body model validates, as a JSON body would be.
        event = dict(event)
        if self.go1 and event.get("body") and forms.is_form(_header(event, "content-type")):
            converted = self._form_as_json(event)
            if converted is not None:
                event["body"], event["isBase64Encoded"] = converted, False
        headers = dict(event.get("headers") or {})
        for name in [n for n in headers if n.lower() == "content-type"]:
            headers.pop(name)
        multi = dict(event.get("multiValueHeaders") or {})
        for name in [n for n in multi if n.lower() == "content-type"]:
            multi.pop(name)
        event["multiValueHeaders"] = multi or None
        event["headers"] = {**headers, "content-type": "application/json"} if event.get("body") else headers
        if not _decodable(event):
            # Powertools would fail on it with a 500; a body that is not UTF-8 is invalid JSON (400).
            event["body"], event["isBase64Encoded"] = _UNREADABLE, False
        self.current_event = cast(APIGatewayProxyEvent, self._to_proxy_event(event))
        return super().resolve(event, context)

    def _form_as_json(self, event: Mapping[str, Any]) -> str | None:
        """The form body as JSON text; None when it is JSON already (`curl -d '{...}'` labels
        JSON as a form), or not UTF-8 (answered as invalid JSON, as before)."""
        if not _decodable(event):
            return None
        text = str(event["body"])
        if event.get("isBase64Encoded"):
            text = base64.b64decode(text).decode("utf-8")
        if text.lstrip().startswith(("{", "[")):
            return None
        try:
            value = forms.parse(text, self._body_annotation(event))
        except ValueError:  # more fields than a form may hold
            return _UNREADABLE
        return json.dumps(value)

    def _body_annotation(self, event: Mapping[str, Any]) -> Any:
        """The body parameter's annotation of the route the event is for (None: no body taken)."""
        method, path = str(event.get("httpMethod", "")).upper(), str(event.get("path", ""))
        for route in self._static_routes + self._dynamic_routes:
            if route.method == method and route.rule.match(path):
                return _body_parameter(route.func)
        return None

    def handler(self) -> Any:
        """The Lambda entry point: request id on every log line, a trace, metrics flushed."""

        @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
        @traced
        @metrics.log_metrics
        def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            return self.resolve(event, context)

        return lambda_handler


_UNREADABLE = "\ufffd"  # not JSON: the validator reports it as `body: is not valid JSON`


def _decodable(event: Mapping[str, Any]) -> bool:
    """False for a base64 body that is not UTF-8 text (the only way undecodable bytes arrive)."""
    if not event.get("isBase64Encoded") or not event.get("body"):
        return True
    try:
        base64.b64decode(event["body"]).decode("utf-8")
    except (UnicodeDecodeError, binascii.Error):
        return False
    return True


# What a browser may send and read (CORS). Preflight is API Gateway's (template.yaml `Cors`);
# the answers' Access-Control-Allow-Origin is the functions' own, from the same parameter.
CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "If-Match", "X-Share-Api-Key"]
CORS_EXPOSED_HEADERS = ["ETag", "RateLimit", "RateLimit-Policy", "Retry-After", "x-amzn-RequestId"]


def _cors() -> CORSConfig:
    return CORSConfig(
        allow_origin=os.environ.get("ALLOWED_ORIGIN") or "*",
        allow_headers=CORS_REQUEST_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
        max_age=600,
    )


def _header(event: Mapping[str, Any], name: str) -> str | None:
    return next((str(v) for k, v in (event.get("headers") or {}).items() if k.lower() == name), None)


@functools.cache
def _body_parameter(handler: Callable[..., Any]) -> Any:
    hints = typing.get_type_hints(handler, include_extras=True)
    for annotation in hints.values():
        if typing.get_origin(annotation) is typing.Annotated and any(
            isinstance(meta, Body) for meta in typing.get_args(annotation)[1:]
        ):
            return annotation
    return None


def _parse_json(text: str) -> Any:
    """json.loads, where every body of every route is parsed: what the parser cannot read is
    invalid JSON (400), never a 500. Besides syntax errors, that is nesting deeper than the
    parser follows and integers longer than Python (and the Lambda runtime) convert."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError as error:
        raise json.JSONDecodeError("nested too deeply", text, 0) from error
    except ValueError as error:  # int-string conversion limit (4,300 digits)
        raise json.JSONDecodeError(f"a number has more than {sys.get_int_max_str_digits()} digits", text, 0) from error
