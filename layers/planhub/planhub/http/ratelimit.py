"""`RateLimit-Policy` and `RateLimit` answer headers (IETF httpapi rate-limit headers draft,
draft-ietf-httpapi-ratelimit-headers), for routes under commercial limits (docs/product.md "Everyday operations").

    RateLimit-Policy: "rate";q=10;w=60, "quota";q=1000;w=2592000
    RateLimit: "rate";r=7;t=42, "quota";r=990;t=1209600

Each policy is a list item named by the limit (`rate`: requests per window; `quota`:
activities per calendar day or month) with its quota `q` and window `w` in seconds;
`RateLimit` gives for each the remaining quota `r` and the seconds `t` until the window
resets. A 429 carries them too: the limit that tripped says `r=0` and the `t` that
`Retry-After` says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from planhub.auth.claims import Claims
from planhub.errors import LimitExceeded, PlanhubError
from planhub.observability import logger


class Limit(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def quota(self) -> int: ...
    @property
    def window_seconds(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def reset_seconds(self) -> int: ...


# (claims, the `clientId` query, whether the request wrote, the refusal if any) -> the limits
LimitsOf = Callable[[Claims, str | None, bool, LimitExceeded | None], Sequence[Limit]]

_SUCCESS_OR_LIMITED = range(200, 300), 429


def headers(limits: Sequence[Limit]) -> dict[str, str]:
    if not limits:
        return {}
    return {
        "RateLimit-Policy": ", ".join(f'"{limit.name}";q={limit.quota};w={limit.window_seconds}' for limit in limits),
        "RateLimit": ", ".join(f'"{limit.name}";r={limit.remaining};t={limit.reset_seconds}' for limit in limits),
    }


def rate_limit_headers(limits_of: LimitsOf) -> Callable[[Any, NextMiddleware], Response[Any]]:
    """A middleware for `RestApi.use`: the caller's limits on every success and every 429.

    A limit refusal is answered here (as `RestApi` would) so that its answer gets them too.
    Reading the limits never fails the request: without them the answer goes out bare.
    """

    def middleware(app: Any, next_middleware: NextMiddleware) -> Response[Any]:
        refused: LimitExceeded | None = None
        try:
            response: Response[Any] = next_middleware(app)
        except LimitExceeded as error:
            refused, response = error, app.answer_error(error)
        if response.status_code != 429 and response.status_code not in _SUCCESS_OR_LIMITED[0]:
            return response
        try:
            client = app.current_event.get_query_string_value("clientId")
            wrote = app.current_event.http_method.upper() != "GET"
            response.headers.update(headers(limits_of(app.claims, client, wrote, refused)))
        except PlanhubError as error:  # no client to speak of (staff without one, an unknown client)
            logger.info("no rate-limit headers", extra={"reason": error.message})
        return response

    return middleware
