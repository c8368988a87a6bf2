"""`make local`: the whole API on http://127.0.0.1:$PORT, backed by moto, no Docker.

The gateway is a WSGI application (`make_app`) served by waitress, a maintained HTTP
server: HTTP/1.1 keep-alive, chunked request bodies, `Content-Length` errors (400, without
holding a thread), many parallel connections (a deep listen backlog, queued rather than
reset) and a body limit of API Gateway's 10 MB. The application adds what API Gateway does
at the edge: a method API Gateway does not know (TRACE, ...) is a 405 JSON answer, and
the access log (stderr) never prints a token: `jwt=` values are redacted and headers are
not logged.

Besides the template's routes it serves local-only routes for people and tests:
  GET  /docs                               Swagger UI over the OpenAPI document (assets from
                                           the pinned swagger-ui-bundle package, no CDN)
  POST /_local/invoke/{FunctionLogicalId}  run a function with the body (JSON) as its event
  POST /_local/drain                       answer once every pending event has been processed
  GET  /_local/emails                      the emails SES has sent so far

The template's schedules fire at their times (`planhub_local.schedules`) unless switched
off: `SCHEDULES=off make local` (PLANHUB_SCHEDULES=off), or `--no-schedules`.

Other local services (the Stripe test endpoint, for instance) plug in through
`EXTRA_SERVICES`: each entry is called with the running `LocalApi` and answers a
`LocalService` that `main()` starts after the gateway and stops before it; `WsgiServer`
serves any WSGI application with the same waitress settings on a port of its own.
"""

from __future__ import annotations

import argparse
import http
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from planhub_local.stack import configure_process

REPO = Path(__file__).resolve().parent.parent
DEMO_SEED = REPO / "seeds" / "demo.json"
OPENAPI_DOCUMENT = REPO / "docs" / "openapi.json"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
# The methods API Gateway routes; any other is refused at the edge.
METHODS = frozenset({"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_HOP_BY_HOP = frozenset({"connection", "content-length", "keep-alive", "transfer-encoding", "upgrade"})
_SECRET_QUERY = re.compile(r"(?i)([?&;](?:jwt|token|access_token|id_token)=)[^&;#\s]*")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def redact(uri: str) -> str:
    """A request URI fit for a log: every `jwt=` (and other token) query value replaced."""
    return _SECRET_QUERY.sub(r"\1[redacted]", uri)


def schedules_enabled(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> bool:
    """The switch: on by default; PLANHUB_SCHEDULES=off (or 0, false, no) or --no-schedules turns it off."""
    environ = dict(os.environ) if environ is None else environ
    if "--no-schedules" in (sys.argv[1:] if argv is None else argv):
        return False
    return environ.get("PLANHUB_SCHEDULES", "on").strip().lower() not in {"off", "0", "false", "no"}


class LocalApi:
    """The running stack: gateway, local routes, a background event pump and the schedules."""

    def __init__(self, *, schedules: bool = False, clock: Any = None) -> None:
        from moto import mock_aws

        from planhub_local.gateway import Gateway
        from planhub_local.schedules import Scheduler, WallClock, schedules_of
        from planhub_local.stack import LocalStack

        self._mock = mock_aws()
        self._mock.start()
        self.stack = LocalStack().create()
        self.gateway = Gateway(self.stack)
        self._stop = threading.Event()
        self._pump_thread = threading.Thread(target=self._pump_forever, name="event-pump", daemon=True)
        self.scheduler: Scheduler | None = None
        if schedules:
            self.scheduler = Scheduler(self.stack, schedules_of(self.stack.template), clock or WallClock())

    def start(self) -> None:
        """The event pump, and the schedules when they are on."""
        self._pump_thread.start()
        if self.scheduler is not None:
            self.scheduler.start()

    def _pump_forever(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.stack.pump()
            except Exception as error:  # noqa: BLE001 - keep pumping; the failure is logged
                print(f"event pump: {type(error).__name__}: {error}", file=sys.stderr)
                worked = 0
            if not worked:
                self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self._pump_thread.is_alive():
            self._pump_thread.join(timeout=30)
        self._mock.stop()

    def local_route(self, method: str, path: str, body: bytes) -> tuple[int, Any] | None:
        if method == "POST" and path.startswith("/_local/invoke/"):
            logical_id = path.removeprefix("/_local/invoke/")
            if logical_id not in self.stack.functions:
                return 404, {"message": f"No function {logical_id} in template.yaml"}
            try:
                event = json.loads(body) if body else {}
            except ValueError as error:  # JSONDecodeError, or bytes that are not UTF-8
                return 400, {"message": f"The body must be the event as JSON: {error}"}
            return 200, self.stack.invoke(logical_id, event)
        if method == "POST" and path == "/_local/drain":
            self.stack.drain()
            return 200, {"drained": True, "failures": len(self.stack.failures)}
        if method == "GET" and path == "/_local/emails":
            return 200, self.stack.sent_emails()
        return None


# --- the WSGI application ----------------------------------------------------------------


def _raw_target(environ: dict[str, Any]) -> str:
    """The request target as the client sent it (still percent-encoded), without a fragment."""
    uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if not uri:
        from urllib.parse import quote

        query = environ.get("QUERY_STRING")
        uri = quote(environ.get("PATH_INFO", "/")) + (f"?{query}" if query else "")
    uri = uri.partition("#")[0]
    if not uri.startswith("/"):  # absolute-form: http://host/path?query
        parts = urlsplit(uri)
        uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return uri


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers


def _json(payload: Any) -> bytes:
    return json.dumps(payload, default=str).encode()


def make_app(api: LocalApi, access_log: Callable[[str], None] | None = None) -> WsgiApp:
    """The gateway as a WSGI application: API Gateway's edge, the local routes and /docs."""
    from planhub_local import docs

    def log(line: str) -> None:
        if access_log is not None:
            access_log(line)
        else:
            sys.stderr.write(line + "\n")

    def answer(
        environ: dict[str, Any],
        start_response: StartResponse,
        status: int,
        headers: dict[str, str],
        data: bytes,
        *,
        started: float,
    ) -> list[bytes]:
        phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else ""
        sent = [(k, v) for k, v in headers.items() if k.lower() not in _HOP_BY_HOP]
        sent.append(("Content-Length", str(len(data))))
        start_response(f"{status} {phrase}".rstrip(), sent)
        target = redact(_raw_target(environ))
        elapsed = (time.perf_counter() - started) * 1000
        log(
            f'{environ.get("REMOTE_ADDR", "-")} "{environ["REQUEST_METHOD"]} {target} '
            f'{environ.get("SERVER_PROTOCOL", "HTTP/1.1")}" {status} {len(data)} {elapsed:.1f}ms'
        )
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [data]

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        method = environ["REQUEST_METHOD"].upper()
        target = _raw_target(environ)
        path = target.partition("?")[0]
        json_type = {"Content-Type": "application/json"}
        if method not in METHODS:
            refusal = {**json_type, "Allow": ", ".join(sorted(METHODS))}
            return answer(environ, start_response, 405, refusal, b'{"message":"Method Not Allowed"}', started=started)
        body = environ["wsgi.input"].read() if environ.get("CONTENT_LENGTH") not in (None, "", "0") else b""
        try:
            if path == "/docs" or path.startswith("/docs/"):
                found = docs.serve(method, path, environ.get("HTTP_HOST", ""))
                if found is not None:
                    status, headers, data = found
                    return answer(environ, start_response, status, headers, data, started=started)
            if path.startswith("/_local/"):
                local = api.local_route(method, path, body)
                if local is not None:
                    return answer(environ, start_response, local[0], json_type, _json(local[1]), started=started)
            response = api.gateway.handle(method, target, _headers(environ), body or None)
            data = response.body.encode()
            return answer(environ, start_response, response.status, response.headers, data, started=started)
        except Exception as error:  # noqa: BLE001 - a local tool reports, it does not crash
            import traceback

            traceback.print_exc()
            data = _json({"message": f"{type(error).__name__}: {error}"})
            return answer(environ, start_response, 500, json_type, data, started=started)

    return app


# --- serving -------------------------------------------------------------------------------


class LocalService(Protocol):
    """Something `make local` runs beside the gateway (see EXTRA_SERVICES)."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


class WsgiServer:
    """A WSGI application served by waitress on 127.0.0.1:port, in a thread of its own.

    Port 0 picks a free port (`port` tells which once constructed). Parallel connections
    beyond the worker threads wait in the listen backlog; none is reset.
    """

    def __init__(self, app: WsgiApp, port: int, *, name: str = "gateway", threads: int = 8) -> None:
        from waitress import wasyncore  # type: ignore[import-untyped]
        from waitress.server import create_server  # type: ignore[import-untyped]

        self.name = name
        self._loop = wasyncore.loop
        self._close_all = wasyncore.close_all
        self._map: dict[int, Any] = {}
        self._server = create_server(
            app,
            map=self._map,
            host="127.0.0.1",
            port=port,
            threads=threads,
            backlog=2048,
            connection_limit=2000,
            channel_timeout=120,
            max_request_body_size=MAX_BODY_BYTES,
            clear_untrusted_proxy_headers=True,
            ident="planhub-local",
        )
        self.port: int = self._server.effective_port  # type: ignore[union-attr]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"{name}-server", daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            self._loop(timeout=0.2, map=self._map, count=1)
        # Closed here, by the loop's own thread: waitress's map is not shared across threads.
        self._server.task_dispatcher.shutdown()
        self._close_all(self._map)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def wait(self) -> None:
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)


# Services started with the gateway by `make local`: each is called with the LocalApi and
# answers a LocalService (e.g. `lambda api: WsgiServer(stripe_app(api), 12111, name="stripe")`).
EXTRA_SERVICES: list[Callable[[LocalApi], LocalService]] = []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m planhub_local.server", description="make local")
    parser.add_argument("--no-schedules", action="store_true", help="do not fire the template's schedules")
    args = parser.parse_args(argv)
    configure_process()
    port = int(os.environ.get("PORT", "3000"))
    schedules = not args.no_schedules and schedules_enabled([])
    from planhub_local.stripe_endpoint import LocalStripeService

    stripe = LocalStripeService()
    stripe.start()  # before any function is imported: they read STRIPE_API_BASE
    api = LocalApi(schedules=schedules)
    if DEMO_SEED.exists():
        from planhub_local.seed import load_seed

        counts = load_seed(DEMO_SEED, api.gateway)
        api.stack.drain()
        print(f"seeded {DEMO_SEED.name}: {counts}")
    api.start()
    server = WsgiServer(make_app(api), port)
    services = [make(api) for make in EXTRA_SERVICES]
    server.start()
    for service in services:
        service.start()

    def shut_down(*_: Any) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    fired = ", ".join(s.expression for s in api.scheduler.schedules) if api.scheduler else "off"
    print(f"planhub is serving on http://127.0.0.1:{port} (docs: /docs; schedules: {fired}; Ctrl-C stops it)")
    sys.stdout.flush()
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for service in reversed(services):
            service.stop()
        server.stop()
        api.stop()
        stripe.stop()
        print("planhub stopped")


if __name__ == "__main__":
    main()
