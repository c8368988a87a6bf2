"""A populated local stack: two portals, two API clients, two companies, and one object of
each kind owned by the home tenant, plus a token for every actor of the authorization matrix."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from planhub_local.stack import configure_process

configure_process()  # before any boto3 client exists

from moto import mock_aws  # noqa: E402

from hardening.books import Books  # noqa: E402
from planhub_local import tokens  # noqa: E402
from planhub_local.client import Api  # noqa: E402
from planhub_local.gateway import Gateway, HttpResponse  # noqa: E402
from planhub_local.stack import LocalStack  # noqa: E402
from planhub_local.stripe_endpoint import start_for_local_stack  # noqa: E402
from planhub_local.template import Template  # noqa: E402

PORTAL = "p-acme"
PORTAL_NAME = "acme.example.com"
OTHER_PORTAL = "p-other"
CLIENT = "c-home"
OTHER_CLIENT = "c-other"
COMPANY = "5a0000000000000000000001"
OTHER_COMPANY = "5a0000000000000000000002"
API_KEY = "share-key-home-0123456789"
OTHER_API_KEY = "share-key-other-0123456789"
PRODUCT = "5b0000000000000000000001"
LESSONS = ["lesson-1", "lesson-2", "lesson-3"]

# Every actor the matrix asks about, in the order the issue lists them.
ACTORS = (
    "anonymous",
    "expired",
    "forged",
    "alg_none",
    "learner",
    "other_learner",
    "manager",
    "other_portal_admin",
    "admin",
    "assessor",
    "other_client",
    "other_company",
    "staff",
)
BAD_TOKENS = ("anonymous", "expired", "forged", "alg_none")


def _unsigned(claims: dict[str, Any]) -> str:
    """A token with `alg: none` and no signature, as an attacker would forge it."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def actor_tokens() -> dict[str, str | None]:
    now = int(time.time())
    learner_claims: dict[str, Any] = {
        "sub": "u1",
        "iat": now,
        "exp": now + 3600,
        "roles": {PORTAL: ["learner"]},
        "client_id": CLIENT,
        "company": {"id": COMPANY, "admin": False},
    }
    home_member: dict[str, Any] = {"client_id": CLIENT, "company": {"id": COMPANY, "admin": False}}
    return {
        "anonymous": None,
        "expired": tokens.token("u1", roles={PORTAL: ["learner"]}, ttl_seconds=-60),
        "forged": tokens.sign(learner_claims, key="not-the-secret-" + "x" * 32),
        "alg_none": _unsigned({**learner_claims, "staff": True}),
        "learner": tokens.token("u1", roles={PORTAL: ["learner"]}, email="u1@example.com", **home_member),
        "other_learner": tokens.token("u2", roles={PORTAL: ["learner"]}, email="u2@example.com", **home_member),
        "manager": tokens.token("mgr", roles={PORTAL: ["manager"]}, email="mgr@example.com", **home_member),
        "other_portal_admin": tokens.token("oadm", roles={OTHER_PORTAL: ["admin"]}, email="oadm@example.com"),
        "admin": tokens.token(
            "adm",
            roles={PORTAL: ["admin"]},
            email="adm@example.com",
            client_id=CLIENT,
            company={"id": COMPANY, "admin": True},
        ),
        "assessor": tokens.token("asr", roles={PORTAL: ["assessor"]}, email="asr@example.com"),
        # The same user id as the learner, acting for another client: must not reach c-home's data.
        "other_client": tokens.token("u1", client_id=OTHER_CLIENT, email="u1@example.com"),
        "other_company": tokens.token("co2", company={"id": OTHER_COMPANY, "admin": True}, email="co2@example.com"),
        "staff": tokens.staff(),
    }


def api_key_of(actor: str) -> str:
    return OTHER_API_KEY if actor == "other_company" else API_KEY


@dataclass
class World:
    stack: LocalStack
    api: Api
    tokens: dict[str, str | None]
    ids: dict[str, str] = field(default_factory=dict)
    books: Books = field(default_factory=Books)  # every answer, in order: what was billed

    def call(
        self, actor: str, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None
    ) -> HttpResponse:
        answer = self.api.request(
            method, path, body, token=self.tokens[actor], headers={"X-Share-Api-Key": api_key_of(actor)}, raw=raw
        )
        self.books.observe(method, path, answer.status, answer.body)
        return answer

    def ok(self, actor: str, method: str, path: str, body: Any = None) -> Any:
        answer = self.call(actor, method, path, body)
        assert 200 <= answer.status < 300, f"{method} {path} as {actor}: {answer.status} {answer.body}"
        return answer.json()

    # --- objects owned by the home tenant, made as their owners would -----------------------

    def new_subscription_plan(self, name: str = "Home plan") -> str:
        body = {
            "name": name,
            "interval_unit": "MONTH",
            "currency": "NOK",
            "static": False,
            "billing_interval": "MONTH",
            "items": [{"product": PRODUCT, "quantity": 1}],
        }
        return str(self.ok("admin", "POST", "/plans", body)["_id"]["$oid"])

    def new_payment_method(self) -> str:
        """A card of the learner's (u1), stored through the Stripe test endpoint."""
        answer = self.ok("learner", "POST", "/payment_methods", {"method": "stripe", "token": "tok_visa"})
        return str(answer["_id"]["$oid"])

    def new_subscription(self, *, start: bool = True) -> str:
        """A subscription of the learner's (u1) to the home plan; started, its first period billed."""
        body: dict[str, Any] = {"plan": self.ids["subscription_plan"], "payment_method": self.ids["payment_method"]}
        return str(self.ok("learner", "POST", "/subscriptions", {**body, "start_now": start})["_id"]["$oid"])

    def new_order(self) -> str:
        """An order of the learner's, as the "order due" consumer makes it from an occurrence."""
        from planhub.billing.models import derived_id

        occurrence = f"{self.ids['subscription_plan']}-0-{len(self.ids)}"
        data = {
            "order_id": occurrence,
            "plan_id": self.ids["subscription_plan"],
            "company_id": COMPANY,
            "user_id": "u1",
            "due_at": "2026-11-23T10:42:00.000Z",
            "billing_interval": "MONTH",
            "currency": "NOK",
            "amount": 10000,
            "items": [{"product_id": PRODUCT, "quantity": 1, "discount": "0", "unit_amount": 10000}],
        }
        detail = {"id": f"matrix-order-{occurrence}", "type": "order due", "data": data}
        self.stack.invoke("CreateOrderFunction", {"detail-type": "order due", "source": "planhub", "detail": detail})
        return derived_id("order", occurrence)

    def new_plan_play(self, plan_id: str = "plan-home") -> str:
        answer = self.ok("learner", "POST", "/api/plan-plays", {"planId": plan_id, "plannedLessons": LESSONS})
        return str(answer["data"]["id"])


_TEMPLATE: Template | None = None


def template() -> Template:
    global _TEMPLATE  # noqa: PLW0603 - template.yaml is parsed once per process
    if _TEMPLATE is None:
        _TEMPLATE = Template()
    return _TEMPLATE


def populate(world: World) -> None:
    def put(path: str, body: dict[str, Any]) -> None:
        world.ok("staff", "PUT", path, body)

    put(f"/admin/portals/{PORTAL}", {"name": PORTAL_NAME, "title": "Acme"})
    put(f"/admin/portals/{OTHER_PORTAL}", {"name": "other.example.com", "title": "Other"})
    for lo_id, lo_type, children, portal in (
        ("i1", "text", [], PORTAL),
        ("m1", "module", ["i1"], PORTAL),
        ("c1", "course", ["m1"], PORTAL),
        ("oc1", "course", [], OTHER_PORTAL),
    ):
        lo = {"portal": portal, "type": lo_type, "title": lo_id, "children": children, "price": None}
        put(f"/admin/los/{lo_id}", {**lo, "assessors": ["asr"], "marketplace": False})
    people: tuple[tuple[str, str, list[str], list[str]], ...] = (
        ("u1", PORTAL, ["learner"], ["mgr"]),
        ("u2", PORTAL, ["learner"], []),
        ("mgr", PORTAL, ["manager"], []),
        ("adm", PORTAL, ["admin"], []),
        ("asr", PORTAL, ["assessor"], []),
        ("oadm", OTHER_PORTAL, ["admin"], []),
    )
    for user_id, portal, roles, managers in people:
        body = {"email": f"{user_id}@example.com", "name": user_id, "roles": roles, "managers": managers}
        put(f"/admin/portals/{portal}/users/{user_id}", body)
    put(f"/admin/portals/{PORTAL}/groups/g1", {"title": "g1", "members": ["u1", "u2"]})
    credits = {"balance": 1_000_000, "per_create": 1, "per_completion": 5}
    put(f"/admin/clients/{CLIENT}", {"name": CLIENT, "policy": {"credits": credits}})
    put(f"/admin/clients/{OTHER_CLIENT}", {"name": OTHER_CLIENT, "policy": {}})
    put(f"/admin/companies/{COMPANY}", {"name": "home", "api_keys": [API_KEY]})
    put(f"/admin/companies/{OTHER_COMPANY}", {"name": "other", "api_keys": [OTHER_API_KEY]})
    put(f"/admin/products/{PRODUCT}", {"company": COMPANY, "name": "seat", "price": 100.0, "currency": "NOK"})
    put("/admin/coupons/HALF", {"portal": PORTAL, "discount": 0.5})

    plan = world.ok("admin", "POST", f"/enrolment/plan/{PORTAL}/c1/user/u1", {"status": 1, "notify": False})
    world.ids["plan"] = str(plan["id"])
    enrolment = world.ok("learner", "POST", f"/enrolment/{PORTAL}/0/i1/enrolment/in-progress", {"notify": False})
    world.ids["enrolment"] = str(enrolment["id"])
    world.ids["plan_play"] = world.new_plan_play()
    world.ids["subscription_plan"] = world.new_subscription_plan()
    unassigned = world.ok("admin", "POST", f"/enrolment/plan/{PORTAL}/i1/user/u1", {"status": 1, "notify": False})
    world.ids["plan_to_unassign"] = str(unassigned["id"])
    group = world.ok("admin", "POST", f"/enrolment/plan/{PORTAL}/c1/group/g1", {"status": 1, "notify": False})
    world.ids["group_assignment"] = str(group["id"])
    world.ids["payment_method"] = world.new_payment_method()
    world.ids["subscription"] = world.new_subscription()
    invoices = world.ok("learner", "GET", f"/invoices?subscription={world.ids['subscription']}")
    world.ids["invoice"] = str(invoices[0]["_id"]["$oid"])
    world.ids["payment"] = str(invoices[0]["payments"][0]["$oid"])
    world.ids["order"] = world.new_order()
    world.stack.drain()


# With schedules: a minute of schedule time per tenth of a second, so that the every-minute
# tick runs throughout and the daily run fires during a campaign, as they would on AWS.
SCHEDULE_SPEED = 600


@contextmanager
def running_world(*, schedules: bool = False) -> Iterator[World]:
    """A fresh moto backend with the world in it; everything is gone on exit. With
    `schedules`, the template's schedules fire meanwhile (on an accelerated clock). Stripe calls
    go to a local Stripe test endpoint (one is started unless STRIPE_API_BASE names one already)."""
    from planhub_local.schedules import AcceleratedClock, Scheduler, schedules_of

    stripe = None if os.environ.get("STRIPE_API_BASE") else start_for_local_stack(port=0)
    try:
        with mock_aws():
            stack = LocalStack(template()).create()
            world = World(stack=stack, api=Api(Gateway(stack)), tokens=actor_tokens())
            populate(world)
            clock = AcceleratedClock(SCHEDULE_SPEED)
            scheduler = Scheduler(stack, schedules_of(stack.template), clock).start() if schedules else None
            try:
                yield world
            finally:
                if scheduler is not None:
                    scheduler.stop()
    finally:
        if stripe is not None:
            stripe.stop()
            os.environ.pop("STRIPE_API_BASE", None)


@contextmanager
def quiet() -> Iterator[None]:
    """The functions log a JSON line per request to stdout; a campaign of thousands keeps stdout for its table."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
