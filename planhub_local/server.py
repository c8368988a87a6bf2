"""`make local`: the whole API on http://127.0.0.1:$PORT, backed by moto, no Docker.

Besides the template's routes it serves local-only routes for people and tests:
  POST /_local/invoke/{FunctionLogicalId}  run a function with the body as its event
  POST /_local/drain                       answer once every pending event has been processed
  GET  /_local/emails                      the emails SES has sent so far
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from planhub_local.stack import configure_process

DEMO_SEED = Path(__file__).resolve().parent.parent / "seeds" / "demo.json"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


class LocalApi:
    """The running stack: gateway, local routes and a background event pump."""

    def __init__(self) -> None:
        from moto import mock_aws

        from planhub_local.gateway import Gateway
        from planhub_local.stack import LocalStack

        self._mock = mock_aws()
        self._mock.start()
        self.stack = LocalStack().create()
        self.gateway = Gateway(self.stack)
        self._stop = threading.Event()
        self._pump_thread = threading.Thread(target=self._pump_forever, name="event-pump", daemon=True)

    def start_pump(self) -> None:
        self._pump_thread.start()

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
        self._mock.stop()

    def local_route(self, method: str, path: str, body: bytes) -> tuple[int, Any] | None:
        if method == "POST" and path.startswith("/_local/invoke/"):
            logical_id = path.removeprefix("/_local/invoke/")
            if logical_id not in self.stack.functions:
                return 404, {"message": f"No function {logical_id} in template.yaml"}
            event = json.loads(body) if body else {}
            return 200, self.stack.invoke(logical_id, event)
        if method == "POST" and path == "/_local/drain":
            self.stack.drain()
            return 200, {"drained": True, "failures": len(self.stack.failures)}
        if method == "GET" and path == "/_local/emails":
            return 200, self.stack.sent_emails()
        return None


def make_handler(api: LocalApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._reply(413, {"Content-Type": "application/json"}, b'{"message": "Request Too Long"}')
                return
            body = self.rfile.read(length) if length else b""
            path = self.path.partition("?")[0]
            if path.startswith("/_local/"):
                try:
                    answer = api.local_route(self.command, path, body)
                except Exception as error:  # noqa: BLE001 - a local tool reports, it does not crash
                    answer = 500, {"message": f"{type(error).__name__}: {error}"}
                if answer is not None:
                    status, payload = answer
                    data = json.dumps(payload, default=str).encode()
                    self._reply(status, {"Content-Type": "application/json"}, data)
                    return
            headers = dict(self.headers.items())
            response = api.gateway.handle(self.command, self.path, headers, body or None)
            self._reply(response.status, response.headers, response.body.encode())

        def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    return Handler


def main() -> None:
    configure_process()
    port = int(os.environ.get("PORT", "3000"))
    from planhub_local.stripe_endpoint import LocalStripeService

    stripe = LocalStripeService()
    stripe.start()  # before any function is imported: they read STRIPE_API_BASE
    api = LocalApi()
    if DEMO_SEED.exists():
        from planhub_local.seed import load_seed

        counts = load_seed(DEMO_SEED, api.gateway)
        api.stack.drain()
        print(f"seeded {DEMO_SEED.name}: {counts}")
    api.start_pump()
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(api))
    server.daemon_threads = True

    def shut_down(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    print(f"planhub is serving on http://127.0.0.1:{port} (Ctrl-C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        api.stop()
        stripe.stop()
        print("planhub stopped")


if __name__ == "__main__":
    main()
