"""OpenAPI descriptions of the error answers, so the document lists every status a route gives."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel


class MessageError(BaseModel):
    """Go1 routes, `/plans` and the admin API."""

    message: str


class DetailedError(BaseModel):
    """Plan-play routes (`details` on 400 only; `code` and `retryAfterSeconds` on 429)."""

    error: str
    details: list[Any] | None = None
    code: str | None = None
    retryAfterSeconds: int | None = None


_DESCRIPTIONS = {
    400: "Invalid input; the message names the problem",
    401: "Missing or invalid token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    429: "A commercial limit was reached",
    402: "The card was refused; the message is the payment provider's",
    503: "The payment provider is unavailable; try again later",
}


def errors(*statuses: int, model: type[BaseModel] = MessageError, success: int = 200) -> dict[int, OpenAPIResponse]:
    """The route's error answers, and its `success` answer (its schema comes from the
    handler's return annotation; a 204 has no body)."""
    answers: dict[int, OpenAPIResponse] = {
        status: {"description": _DESCRIPTIONS[status], "content": {"application/json": {"model": model}}}
        for status in statuses
    }
    answers[success] = {"description": "No content"} if success == 204 else {"description": "Success"}
    if success == 204:
        answers[success]["content"] = {}
    return answers
