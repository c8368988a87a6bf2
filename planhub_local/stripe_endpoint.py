"""A local Stripe-compatible test endpoint: the subset of Stripe's REST API planhub's gateway uses.

The production gateway (the official `stripe` SDK) reaches it through `STRIPE_API_BASE`, in
`make local` and in the tests, so what runs locally is the code that runs against Stripe.

Served by waitress on 127.0.0.1. It speaks, form-encoded as the SDK sends them:

- `POST /v1/customers` (`source` = a card token, `email`): a customer with that card as its
  default source (`sources` listed in the answer).
- `POST /v1/charges` (`amount`, `currency`, `customer` and/or `source`, `description`).
- `POST /v1/refunds` (`charge`, optional `amount`).
- `GET /v1/customers/{id}`, `GET /v1/charges/{id}`, `GET /v1/refunds/{id}`.

As Stripe does, it:

- asks for a secret key (`Authorization: Bearer sk_test_...`; 401 otherwise);
- honours `Idempotency-Key` on POSTs: the same key with the same parameters answers the
  first answer again (`Idempotent-Replayed: true`), with other parameters 400
  `idempotency_error`. Answers that never reached the endpoint's work (429s, injected 500s)
  are not saved, as Stripe saves a result only once an endpoint began executing;
- knows Stripe's documented test tokens: `tok_visa`, `tok_mastercard` (and `tok_amex`)
  succeed; `tok_chargeCustomerFail` attaches to a customer but every charge on it fails
  with `card_declined`; `tok_chargeDeclined` is refused with `card_declined` when attached
  (or charged); anything else is `resource_missing`;
- answers errors in Stripe's shape: `{"error": {"type", "code", "message", "param", ...}}`.

Tests and people steer it through `StripeEndpoint`'s methods or the `/_control` routes:

- `GET /_control/charges`, `GET /_control/refunds`, `GET /_control/customers`: what happened;
- `POST /_control/rate_limit` `{"next": N}` or `{"seconds": T}`, optional `"code":
  "lock_timeout"`: answer 429 to the next N requests, or to every request for T seconds;
- `POST /_control/fail_refunds` `{"next": N}`: the next N refunds answer 500 `api_error`;
- `POST /_control/reset`: forget everything.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

TEST_SECRET_KEY = "sk_test_planhub_local"  # noqa: S105 - a local test key, not a secret
DEFAULT_PORT = 12111


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    attaches: bool = True  # False: refused when attached to a customer (tok_chargeDeclined)
    charges: bool = True  # False: every charge on it is declined (tok_chargeCustomerFail)


TEST_TOKENS = {
    "tok_visa": TestCard("Visa", "4242"),
    "tok_mastercard": TestCard("MasterCard", "4444"),
    "tok_amex": TestCard("American Express", "8431"),
    "tok_chargeCustomerFail": TestCard("Visa", "0341", charges=False),
    "tok_chargeDeclined": TestCard("Visa", "0002", attaches=False, charges=False),
}

DECLINED = "Your card was declined."
RATE_LIMITED = {
    "rate_limit": "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
    "lock_timeout": (
        "This object cannot be accessed right now because another API request or Stripe process is currently "
        "accessing it. If you see this error intermittently, retry the request. If you see this error frequently "
        "and are making multiple concurrent requests to a single object, make your requests serially or at a "
        "lower rate. See https://stripe.com/docs/rate-limits for more details."
    ),
}

Answer = tuple[int, dict[str, Any]]


class StripeError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error

    def answer(self) -> Answer:
        return self.status, {"error": self.error}


def _missing(kind: str, value: str, param: str) -> StripeError:
    return StripeError(
        400,
        {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "param": param,
            "message": f"No such {kind}: '{value}'",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        },
    )


def _declined(charge_id: str | None = None, param: str | None = None) -> StripeError:
    error: dict[str, Any] = {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "generic_decline",
        "message": DECLINED,
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
    }
    if charge_id:
        error["charge"] = charge_id
    if param is not None:
        error["param"] = param
    return StripeError(402, error)


def _invalid(code: str, message: str, param: str | None = None) -> StripeError:
    error: dict[str, Any] = {"type": "invalid_request_error", "code": code, "message": message}
    if param:
        error["param"] = param
    return StripeError(400, error)


class StripeEndpoint:
    """The endpoint's state, its WSGI app (`__call__`) and its control API."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.reset()

    # --- control ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forgets every object, saved answer and injected failure."""
        with self._lock:
            self._customers: dict[str, dict[str, Any]] = {}
            self._charges: dict[str, dict[str, Any]] = {}
            self._refunds: dict[str, dict[str, Any]] = {}
            self._card_tokens: dict[str, str] = {}  # card id -> the token it came from
            self._saved: dict[str, tuple[str, str, Answer]] = {}  # idempotency key -> (path, params, answer)
            self._limit_next = 0
            self._limit_until = 0.0
            self._limit_code = "rate_limit"
            self._fail_refunds = 0
            self.requests = 0  # every request that reached /v1
            self.rate_limited = 0  # the 429s answered
            self.refund_failures = 0  # the injected refund failures answered

    @property
    def charges(self) -> list[dict[str, Any]]:
        """Every charge object, in creation order, failed ones included (`status`)."""
        with self._lock:
            return [dict(c) for c in self._charges.values()]

    def succeeded_charges(self) -> list[dict[str, Any]]:
        return [c for c in self.charges if c["status"] == "succeeded"]

    @property
    def refunds(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._refunds.values()]

    @property
    def customers(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._customers.values()]

    def rate_limit(self, *, next: int = 0, seconds: float = 0, code: str = "rate_limit") -> None:
        """Answers 429 (`rate_limit` or `lock_timeout`) to the next `next` requests, or for `seconds`."""
        if code not in RATE_LIMITED:
            raise ValueError(f"code must be one of {sorted(RATE_LIMITED)}")
        with self._lock:
            self._limit_next = next
            self._limit_until = time.monotonic() + seconds if seconds else 0.0
            self._limit_code = code

    def fail_refunds(self, next: int) -> None:
        """The next `next` refund requests answer 500 `api_error` (nothing refunded, nothing saved)."""
        with self._lock:
            self._fail_refunds = next

    def create_customer(self, token: str = "tok_visa", email: str | None = None) -> str:  # noqa: S107 - a test card
        """A customer with the card of `token`, made as a POST /v1/customers would: its id."""
        form = {"source": [token]} | ({"email": [email]} if email else {})
        status, body, _ = self.handle(
            "POST", "/v1/customers", form, authorization=f"Bearer {TEST_SECRET_KEY}", idempotency_key=None
        )
        if status != 200:
            raise ValueError(body["error"]["message"])
        return str(body["id"])

    # --- serving ------------------------------------------------------------------------

    def start(self, port: int = 0, host: str = "127.0.0.1", threads: int = 8) -> StripeEndpoint:
        """Serves on a thread of its own (port 0: any free port); `url` is then its api_base."""
        from waitress.server import create_server  # type: ignore[import-untyped]

        # A socket map of its own: endpoints and other waitress servers of the process never share a loop.
        self._map: dict[int, Any] = {}
        self._server = create_server(self, map=self._map, host=host, port=port, threads=threads, ident="stripe-local")
        self.url = f"http://{host}:{self._server.effective_port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="stripe-endpoint", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        from waitress import wasyncore  # type: ignore[import-untyped]

        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.2, map=self._map, count=1)
        # Closed by the loop's own thread: the socket map is not shared across threads.
        self._server.task_dispatcher.shutdown()
        wasyncore.close_all(self._map)

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._thread.join(timeout=10)
            self._thread = None
            self._server = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "/"))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {"Content-Type": "application/json", "Request-Id": f"req_{secrets.token_hex(7)}"}
        if path.startswith("/_control/"):
            status, payload = self._control(method, path, body)
        else:
            status, payload, replayed = self.handle(
                method,
                path,
                parse_qs(body.decode() or str(environ.get("QUERY_STRING", ""))),
                authorization=str(environ.get("HTTP_AUTHORIZATION", "")),
                idempotency_key=environ.get("HTTP_IDEMPOTENCY_KEY"),
            )
            if replayed:
                headers["Idempotent-Replayed"] = "true"
            if environ.get("HTTP_IDEMPOTENCY_KEY"):
                headers["Idempotency-Key"] = str(environ["HTTP_IDEMPOTENCY_KEY"])
        data = json.dumps(payload).encode()
        headers["Content-Length"] = str(len(data))
        start_response(f"{status} {_REASONS.get(status, 'OK')}", list(headers.items()))
        return [data]

    def _control(self, method: str, path: str, body: bytes) -> Answer:
        options = json.loads(body) if body else {}
        name = path.removeprefix("/_control/")
        if method == "GET" and name in ("charges", "refunds", "customers"):
            return 200, {"data": getattr(self, name)}
        if method == "POST" and name == "reset":
            self.reset()
            return 200, {"reset": True}
        if method == "POST" and name == "rate_limit":
            try:
                self.rate_limit(
                    next=int(options.get("next", 0)),
                    seconds=float(options.get("seconds", 0)),
                    code=str(options.get("code", "rate_limit")),
                )
            except ValueError as error:
                return 400, {"message": str(error)}
            return 200, options
        if method == "POST" and name == "fail_refunds":
            self.fail_refunds(int(options.get("next", 0)))
            return 200, options
        return 404, {"message": f"No control route {method} {path}"}

    # --- the API ------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        params: dict[str, list[str]],
        *,
        authorization: str,
        idempotency_key: str | None,
    ) -> tuple[int, dict[str, Any], bool]:
        """One API request: (status, body, replayed)."""
        form = {name: values[-1] for name, values in params.items()}
        with self._lock:
            self.requests += 1
            key = authorization.removeprefix("Bearer ").strip()
            if not key.startswith("sk_test_"):
                message = f"Invalid API Key provided: {key[:8]}***" if key else "You did not provide an API key."
                return 401, {"error": {"type": "invalid_request_error", "message": message}}, False
            if self._limited():
                self.rate_limited += 1
                code = self._limit_code
                return (
                    429,
                    {"error": {"type": "invalid_request_error", "code": code, "message": RATE_LIMITED[code]}},
                    False,
                )
            fingerprint = json.dumps(sorted(form.items()))
            if method == "POST" and idempotency_key:
                saved = self._saved.get(idempotency_key)
                if saved is not None:
                    saved_path, saved_params, answer = saved
                    if (saved_path, saved_params) != (path, fingerprint):
                        message = (
                            "Keys for idempotent requests can only be used with the same parameters they were "
                            f"first used with. Try using a key other than '{idempotency_key}' if you meant to "
                            "execute a different request."
                        )
                        return 400, {"error": {"type": "idempotency_error", "message": message}}, False
                    return answer[0], answer[1], True
            if method == "POST" and path == "/v1/refunds" and self._fail_refunds > 0:
                self._fail_refunds -= 1
                self.refund_failures += 1
                return 500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}, False
            try:
                status, body = self._route(method, path, form)
            except StripeError as error:
                status, body = error.answer()
            answer = status, json.loads(json.dumps(body))  # a snapshot: replays answer what was answered
            created_id = str(body.get("id") or body.get("error", {}).get("charge") or "")
            created = self._charges.get(created_id) or self._refunds.get(created_id)
            if created is not None and method == "POST":
                created.setdefault("idempotency_key", idempotency_key)  # not Stripe's: for tests
            if method == "POST" and idempotency_key:
                self._saved[idempotency_key] = (path, fingerprint, answer)
            return answer[0], answer[1], False

    def _limited(self) -> bool:
        if self._limit_next > 0:
            self._limit_next -= 1
            return True
        return time.monotonic() < self._limit_until

    def _route(self, method: str, path: str, form: dict[str, str]) -> Answer:
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "v1":
            raise StripeError(
                404, {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})."}
            )
        collection = {"customers": self._customers, "charges": self._charges, "refunds": self._refunds}
        if method == "POST" and len(parts) == 2 and parts[1] == "customers":
            return 200, self._create_customer(form)
        if method == "POST" and len(parts) == 2 and parts[1] == "charges":
            return 200, self._create_charge(form)
        if method == "POST" and len(parts) == 2 and parts[1] == "refunds":
            return 200, self._create_refund(form)
        if method == "GET" and len(parts) == 3 and parts[1] in collection:
            found = collection[parts[1]].get(parts[2])
            if found is None:
                raise _missing(parts[1].removesuffix("s"), parts[2], "id")
            return 200, found
        raise StripeError(
            404, {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})."}
        )

    def _card(self, token: str, param: str, customer: str | None = None) -> dict[str, Any]:
        test = TEST_TOKENS.get(token)
        if test is None:
            raise _missing("token", token, param)
        card_id = f"card_{secrets.token_hex(12)}"
        self._card_tokens[card_id] = token
        return {
            "id": card_id,
            "object": "card",
            "brand": test.brand,
            "last4": test.last4,
            "exp_month": 12,
            "exp_year": time.gmtime().tm_year + 3,
            "funding": "credit",
            "country": "US",
            "customer": customer,
        }

    def _create_customer(self, form: dict[str, str]) -> dict[str, Any]:
        customer_id = f"cus_{secrets.token_hex(7)}"
        customer: dict[str, Any] = {
            "id": customer_id,
            "object": "customer",
            "created": int(time.time()),
            "email": form.get("email"),
            "description": form.get("description"),
            "livemode": False,
            "default_source": None,
            "sources": {"object": "list", "data": [], "has_more": False, "url": f"/v1/customers/{customer_id}/sources"},
        }
        token = form.get("source")
        if token:
            test = TEST_TOKENS.get(token)
            if test is not None and not test.attaches:
                raise _declined(param="")
            card = self._card(token, "source", customer_id)
            customer["default_source"] = card["id"]
            customer["sources"]["data"] = [card]
        self._customers[customer_id] = customer
        return customer

    def _create_charge(self, form: dict[str, str]) -> dict[str, Any]:
        if "amount" not in form:
            raise _invalid("parameter_missing", "Missing required param: amount.", "amount")
        if "currency" not in form:
            raise _invalid("parameter_missing", "Missing required param: currency.", "currency")
        try:
            amount = int(form["amount"])
        except ValueError:
            raise _invalid("parameter_invalid_integer", "Invalid integer: " + form["amount"], "amount") from None
        if amount < 1:
            raise _invalid("amount_too_small", "Amount must be at least 1 unit.", "amount")
        customer_id, token = form.get("customer"), form.get("source")
        if customer_id:
            customer = self._customers.get(customer_id)
            if customer is None:
                raise _missing("customer", customer_id, "customer")
            cards = customer["sources"]["data"]
            if token:
                card = self._card(token, "source", customer_id)
            elif cards:
                card = cards[0]
            else:
                raise _invalid("missing", "Cannot charge a customer that has no active card", "card")
        elif token:
            card = self._card(token, "source")
        else:
            raise _invalid("parameter_missing", "Must provide source or customer.", None)
        test = TEST_TOKENS[self._card_tokens[card["id"]]]
        charge_id = f"ch_{secrets.token_hex(12)}"
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_refunded": 0,
            "currency": form["currency"].lower(),
            "customer": customer_id,
            "description": form.get("description"),
            "created": int(time.time()),
            "livemode": False,
            "paid": test.charges,
            "refunded": False,
            "status": "succeeded" if test.charges else "failed",
            "failure_code": None if test.charges else "card_declined",
            "failure_message": None if test.charges else DECLINED,
            "source": card,
            "token": token,  # not Stripe's: the test token the card came from, for tests
            "refunds": {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{charge_id}/refunds"},
        }
        self._charges[charge_id] = charge
        if not test.charges:
            raise _declined(charge_id)
        return charge

    def _create_refund(self, form: dict[str, str]) -> dict[str, Any]:
        charge_id = form.get("charge")
        if not charge_id:
            raise _invalid("parameter_missing", "Missing required param: charge.", "charge")
        charge = self._charges.get(charge_id)
        if charge is None:
            raise _missing("charge", charge_id, "charge")
        left = charge["amount"] - charge["amount_refunded"]
        if charge["status"] != "succeeded":
            raise _invalid("charge_disputed", f"Charge {charge_id} was not paid and cannot be refunded.", "charge")
        if left == 0:
            raise _invalid("charge_already_refunded", f"Charge {charge_id} has already been refunded.", "charge")
        amount = int(form["amount"]) if "amount" in form else left
        if amount < 1 or amount > left:
            message = f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
            raise _invalid("amount_too_large", message, "amount")
        refund = {
            "id": f"re_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "charge": charge_id,
            "currency": charge["currency"],
            "created": int(time.time()),
            "status": "succeeded",
            "reason": form.get("reason"),
        }
        self._refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].append(refund)
        return refund


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 404: "Not Found"}
_REASONS.update({409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error"})


def start_for_local_stack(port: int | None = None) -> StripeEndpoint:
    """`make local`'s hook: serve the endpoint and point every function's Stripe SDK at it.

    Called before the stack imports any function (they read STRIPE_API_BASE at import). The
    secret key the functions read from SSM is `TEST_SECRET_KEY` (the local stack puts it).
    """
    chosen = port if port is not None else int(os.environ.get("STRIPE_PORT", str(DEFAULT_PORT)))
    endpoint = StripeEndpoint().start(port=chosen)
    os.environ["STRIPE_API_BASE"] = endpoint.url
    return endpoint


class LocalStripeService:
    """The endpoint as a service `make local` runs beside the gateway (name, start, stop): it
    serves on STRIPE_PORT and points the functions' SDK at itself (STRIPE_API_BASE)."""

    name = "stripe"

    def __init__(self, port: int | None = None) -> None:
        self.port = port
        self.endpoint: StripeEndpoint | None = None

    def start(self) -> None:
        self.endpoint = start_for_local_stack(self.port)
        print(f"Stripe test endpoint on {self.endpoint.url} (control: {self.endpoint.url}/_control/charges)")

    def stop(self) -> None:
        if self.endpoint is not None:
            self.endpoint.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="The local Stripe-compatible test endpoint")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    port = parser.parse_args().port
    endpoint = StripeEndpoint().start(port=port)
    print(f"Stripe test endpoint on {endpoint.url} (control: {endpoint.url}/_control/charges)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        endpoint.stop()


if __name__ == "__main__":
    main()
