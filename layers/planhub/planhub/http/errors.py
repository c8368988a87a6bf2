"""The one place that turns a domain error into an HTTP answer.

Each API family keeps the error shape its seed promises: Go1 routes, `/plans` and the
admin API answer `{"message": ...}`; plan-play routes answer `{"error": ..., "details": [...]}`.
The status comes from the error's type, never from its text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import Enum
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from planhub.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LimitExceeded,
    NotFound,
    PaymentDeclined,
    PaymentUnavailable,
    PlanhubError,
    Unauthenticated,
)

STATUS_OF: dict[type[PlanhubError], HTTPStatus] = {
    InvalidInput: HTTPStatus.BAD_REQUEST,
    Unauthenticated: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    LimitExceeded: HTTPStatus.TOO_MANY_REQUESTS,
    PaymentDeclined: HTTPStatus.PAYMENT_REQUIRED,
    PaymentUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}


class ErrorStyle(Enum):
    MESSAGE = "message"  # {"message": "..."}
    ERROR = "error"  # {"error": "...", "details": [...]}


def status_of(error: PlanhubError) -> HTTPStatus:
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]  # type: ignore[index]
    return HTTPStatus.INTERNAL_SERVER_ERROR


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body), headers=headers
    )


def error_response(error: PlanhubError, style: ErrorStyle, *, go1: bool = False) -> Response[str]:
    status = status_of(error)
    if go1 and status is HTTPStatus.UNAUTHORIZED:
        status = HTTPStatus.FORBIDDEN  # the Go1 seeds answer 403 for a missing or invalid JWT
    headers: dict[str, str] = {}
    if style is ErrorStyle.MESSAGE:
        body: dict[str, Any] = {"message": error.message}
    else:
        body = {"error": error.message}
        if status is HTTPStatus.BAD_REQUEST:
            body["details"] = error.details
    if isinstance(error, LimitExceeded):
        body["code"] = error.code
        body["retryAfterSeconds"] = error.retry_after_seconds
        if error.retry_after_seconds is not None:
            headers["Retry-After"] = str(error.retry_after_seconds)
    return _answer(status, body, headers)


def describe_validation_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic's errors as `{"field": "body.name", "message": "..."}`, one per problem."""
    described = []
    for error in errors:
        if error.get("type") == "json_invalid":
            described.append({"field": "body", "message": "is not valid JSON"})
            continue
        location = [str(part) for part in error.get("loc", ())]
        described.append({"field": ".".join(location), "message": str(error.get("msg", "invalid"))})
    return described


def validation_response(errors: Sequence[Any], style: ErrorStyle) -> Response[str]:
    details = describe_validation_errors(errors)
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details) or "Invalid request"
    if style is ErrorStyle.MESSAGE:
        return _answer(HTTPStatus.BAD_REQUEST, {"message": f"Invalid request: {summary}"})
    return _answer(HTTPStatus.BAD_REQUEST, {"error": f"Invalid request: {summary}", "details": details})


def internal_error_response(style: ErrorStyle) -> Response[str]:
    key = "message" if style is ErrorStyle.MESSAGE else "error"
    return _answer(HTTPStatus.INTERNAL_SERVER_ERROR, {key: "Internal server error"})
