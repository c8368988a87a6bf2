"""Every endpoint test goes through the same template-driven gateway as `make local`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from planhub_local.stack import configure_process

configure_process()  # before any boto3 client exists: credentials, region, layer on the path

from moto import mock_aws  # noqa: E402

from planhub_local import tokens  # noqa: E402
from planhub_local.gateway import Gateway, HttpResponse  # noqa: E402
from planhub_local.stack import LocalStack  # noqa: E402


class Api:
    """A caller of the local API Gateway: `api.put(path, {...}, token=...)`."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | str | None = None,
    ) -> HttpResponse:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.gateway.handle(method, path, all_headers, payload)

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> HttpResponse:
        return self.request("PUT", path, body, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> HttpResponse:
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with mock_aws():
        yield LocalStack().create()


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(Gateway(stack))


@pytest.fixture
def staff_token() -> str:
    return tokens.staff()
