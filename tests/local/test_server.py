"""`make local`'s HTTP server (waitress serving the gateway as WSGI), over real sockets."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from planhub_local import tokens
from planhub_local.server import LocalApi, WsgiServer, make_app, redact


@dataclass
class Running:
    api: LocalApi
    port: int
    log: list[str] = field(default_factory=list)

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def raw(self, request: bytes, timeout: float = 10) -> bytes:
        """Sends bytes as they are and answers everything the server sent until it closed or went quiet."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(request)
            received = b""
            try:
                while chunk := sock.recv(65536):
                    received += chunk
                    if b"\r\n\r\n" in received and _complete(received):
                        break
            except TimeoutError:
                pass
            return received


def _complete(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return True


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    api = LocalApi()
    log: list[str] = []
    server = WsgiServer(make_app(api, access_log=log.append), 0)
    server.start()
    try:
        yield Running(api, server.port, log)
    finally:
        server.stop()
        api.stop()


STAFF = {"Authorization": f"Bearer {tokens.staff()}", "Content-Type": "application/json"}


def test_hundreds_of_parallel_connections_are_all_answered(running: Running) -> None:
    count = 480
    connected = threading.Barrier(count, timeout=60)

    def write(n: int) -> int:
        connection = running.connection(timeout=120)
        connection.connect()
        connected.wait()  # every connection is open before any request is sent
        body = json.dumps({"name": f"p{n}.example.com", "title": f"P{n}"})
        connection.request("PUT", f"/admin/portals/p-parallel-{n}", body=body, headers=STAFF)
        status = connection.getresponse().status
        connection.close()
        return status

    with ThreadPoolExecutor(max_workers=count) as pool:
        statuses = list(pool.map(write, range(count)))  # a reset connection would raise here

    assert statuses == [200] * count


def test_a_chunked_body_is_the_requests_body_and_the_connection_goes_on(running: Running) -> None:
    connection = running.connection()
    parts = iter([b'{"name": "chunked.example.com",', b' "title": "Chunked"}'])
    connection.request("PUT", "/admin/portals/p-chunked", body=parts, headers=STAFF, encode_chunked=True)
    first = connection.getresponse()
    assert (first.status, json.loads(first.read())["name"]) == (200, "chunked.example.com")

    connection.request("GET", "/admin/portals/p-chunked", headers=STAFF)  # same connection, next request
    second = connection.getresponse()
    assert (second.status, json.loads(second.read())["title"]) == (200, "Chunked")


@pytest.mark.parametrize("length", [b"-1", b"abc", b"1, 2"])
def test_a_bad_content_length_is_a_400(running: Running, length: bytes) -> None:
    answer = running.raw(b"POST /_local/drain HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n{}")
    assert answer.startswith(b"HTTP/1.1 400")


def test_bodies_that_never_arrive_hold_no_worker(running: Running) -> None:
    # More stalled uploads than worker threads: each waits in the server's loop, not in a thread.
    stalled = []
    for _ in range(12):
        sock = socket.create_connection(("127.0.0.1", running.port), timeout=10)
        sock.sendall(b"PUT /admin/portals/p-x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        stalled.append(sock)
    try:
        connection = running.connection(timeout=10)
        connection.request("GET", "/_local/emails")
        assert connection.getresponse().status == 200
    finally:
        for sock in stalled:
            sock.close()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "FOO"])
def test_a_method_api_gateway_does_not_route_is_a_405_in_json(running: Running, method: str) -> None:
    connection = running.connection()
    connection.request(method, "/admin/portals/p-acme", headers=STAFF)
    answer = connection.getresponse()

    assert answer.status == 405
    assert answer.getheader("Content-Type") == "application/json"
    assert json.loads(answer.read()) == {"message": "Method Not Allowed"}


def test_a_raw_hash_in_the_path_is_no_server_error(running: Running) -> None:
    token = tokens.staff().encode()
    for target in (b"/admin/los/a#b", b"/admin/portals/#", b"/admin/los/%23x#y?jwt=" + token):
        headers = b"Host: x\r\nAuthorization: Bearer " + token
        answer = running.raw(b"GET " + target + b" HTTP/1.1\r\n" + headers + b"\r\n\r\n")
        status = int(answer.split(b" ", 2)[1])
        assert status < 500, (target, answer[:200])


def test_the_access_log_never_prints_a_token(running: Running) -> None:
    query_token, header_token = tokens.staff("staff-query"), tokens.staff("staff-header")
    connection = running.connection()
    connection.request("GET", f"/admin/portals/p-acme?x=1&jwt={query_token}&y=2")
    connection.getresponse().read()
    connection.request("GET", "/admin/portals/p-acme", headers={"Authorization": f"Bearer {header_token}"})
    connection.getresponse().read()

    logged = "\n".join(running.log)
    assert "GET /admin/portals/p-acme?x=1&jwt=[redacted]&y=2 HTTP/1.1" in logged
    assert query_token not in logged
    assert header_token not in logged


def test_redact_replaces_every_token_value() -> None:
    assert redact("/a?jwt=abc.def.ghi") == "/a?jwt=[redacted]"
    assert redact("/a?b=1&JWT=x&jwt=y;token=z") == "/a?b=1&JWT=[redacted]&jwt=[redacted];token=[redacted]"
    assert redact("/a?notjwt=1") == "/a?notjwt=1"


def test_invoking_a_function_with_malformed_json_is_a_400(running: Running) -> None:
    connection = running.connection()
    connection.request("POST", "/_local/invoke/PublishDueOrdersFunction", body=b'{"time": ')
    answer = connection.getresponse()

    assert answer.status == 400
    assert "JSON" in json.loads(answer.read())["message"]


def test_invoking_a_scheduled_function_on_demand_still_works(running: Running) -> None:
    connection = running.connection()
    connection.request("POST", "/_local/invoke/PublishDueOrdersFunction", body=b'{"time": "2026-11-23T10:00:00Z"}')
    answer = connection.getresponse()

    assert (answer.status, json.loads(answer.read())) == (200, {"published": 0})


def test_docs_page_document_and_assets_are_served_locally(running: Running) -> None:
    connection = running.connection()
    connection.request("GET", "/docs")
    page = connection.getresponse().read().decode()
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert "https://" not in page  # nothing from a CDN

    connection.request("GET", "/docs/assets/swagger-ui-bundle.js")
    asset = connection.getresponse()
    assert asset.status == 200
    assert len(asset.read()) > 100_000

    connection.request("GET", "/docs/openapi.json", headers={"Host": f"127.0.0.1:{running.port}"})
    document = json.loads(connection.getresponse().read())
    assert document["servers"] == [{"url": f"http://127.0.0.1:{running.port}", "description": "this make local"}]
    assert "/admin/portals/{portalId}" in document["paths"]

    connection.request("GET", "/docs/assets/../../server.py")
    assert connection.getresponse().status == 404


def test_make_token_prints_every_demo_role_and_checks_them_against_the_running_stack(running: Running) -> None:
    from planhub.auth.tokens import TokenVerifier
    from planhub.settings import AuthEnvironment

    printed = tokens.demo_tokens()
    assert set(printed) == {"STAFF", "ADMIN", "MANAGER", "LEARNER", "LEARNER_2", "COMPANY_ADMIN"}
    verifier = TokenVerifier(AuthEnvironment(JWT_SECRET=tokens.secret()))
    assert verifier.verify(printed["ADMIN"]).roles == {"p-acme": ["admin"]}
    assert verifier.verify(printed["COMPANY_ADMIN"]).company is not None

    url = f"http://127.0.0.1:{running.port}"
    assert tokens.check_against(url, printed["STAFF"]) is None
    other_secret = tokens.sign({"sub": "staff-1", "staff": True, "exp": 2**31}, key="another-secret-" * 3)
    assert "JWT_SECRET" in (tokens.check_against(url, other_secret) or "")
