"""The authorization matrix: every route of template.yaml, every actor, the answer each must get.

Each route names one concrete request against objects owned by the home tenant (portal
p-acme, client c-home, company COMPANY); the expectation says which status each actor gets.
Refusals of objects outside the caller's tenant may be 403 or 404 (both leak nothing);
the table names the one the API gives, so a change is noticed. Besides the status, an
answer to an actor outside the home tenant must not contain the home objects' ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hardening.world import ACTORS, BAD_TOKENS, CLIENT, COMPANY, LESSONS, PORTAL, PRODUCT, World

Status = int
PathOf = Callable[[World], str]


@dataclass(frozen=True)
class RouteCase:
    method: str
    route: str  # the path as template.yaml declares it
    path: PathOf  # the concrete path, against the home tenant's objects
    allowed: dict[str, Status]  # actors who succeed, with their status
    denied: Status = 403  # every other authenticated actor
    exceptions: dict[str, Status] = field(default_factory=dict)  # authenticated actors with another refusal
    body: Callable[[World], Any] | None = None
    go1: bool = False  # bad tokens get 403 instead of 401
    outsiders: tuple[str, ...] = ("other_portal_admin", "other_client", "other_company")
    secrets: tuple[str, ...] = ()  # world.ids keys a successful answer must show only to `keepers`
    keepers: tuple[str, ...] = ("staff",)

    def expected(self, actor: str) -> Status:
        if actor in BAD_TOKENS:
            return 403 if self.go1 else 401
        return self.allowed.get(actor, self.exceptions.get(actor, self.denied))


def _const(path: str) -> PathOf:
    return lambda _world: path


def _staff_only(method: str, route: str, path: str, body: dict[str, Any] | None = None) -> RouteCase:
    return RouteCase(method, route, _const(path), {"staff": 200}, body=(lambda _w: body) if body is not None else None)


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


PORTAL_BODY = {"name": "acme.example.com", "title": "Acme"}
USER_BODY = {"email": "u1@example.com", "name": "u1", "roles": ["learner"], "managers": ["mgr"]}
LO_BODY = {"portal": PORTAL, "type": "text", "title": "i1", "children": [], "assessors": ["asr"], "price": None}
EVERYONE = ("learner", "other_learner", "manager", "admin", "assessor")
# u1 is both `learner` and `other_client` (the same user id acting for another API client).
SELF_MANAGER_ADMIN_STAFF = {"learner": 200, "other_client": 200, "manager": 200, "admin": 200, "staff": 200}
# On behalf of a student: never the student themselves (docs/product.md "Enrolments"; issue 12).
MANAGER_ADMIN_STAFF = {"manager": 200, "admin": 200, "staff": 200}
CLIENT_MEMBERS = ("learner", "other_learner", "manager", "admin")
PLAN_MANAGERS = {"manager": 204, "admin": 204, "staff": 204}  # change or unassign a plan someone else assigned
PLAN_READERS = {"learner": 200, "manager": 200, "admin": 200, "staff": 200, "other_client": 200}
ENROLMENT_READERS = {"learner": 200, "manager": 200, "admin": 200, "assessor": 200, "staff": 200, "other_client": 200}


def _fresh_enrolment(world: World) -> int:
    """A new active enrolment of u1 in m1 (re-enrolling archives the one before)."""
    body = {"notify": False, "reEnrol": True}
    return int(world.ok("learner", "POST", f"/enrolment/{PORTAL}/0/m1/enrolment/in-progress", body)["id"])


SUBSCRIBER_AND_ADMIN = {"learner": 200, "admin": 200}
SUBSCRIBER_KEEPERS = ("learner", "admin")
OTHERS_NOT_FOUND = {"other_learner": 404, "manager": 404, "other_company": 404}


def _path_of(kind: str) -> PathOf:
    """`/invoices/<the world's invoice>` and the like."""
    return lambda w: f"/{kind}s/{w.ids[kind]}"


def _subscription_body(_world: World) -> dict[str, Any]:
    return {
        "name": "Matrix plan",
        "interval_unit": "MONTH",
        "currency": "NOK",
        "static": False,
        "billing_interval": "MONTH",
        "items": [{"product": PRODUCT, "quantity": 1}],
    }


CASES: tuple[RouteCase, ...] = (
    # --- catalog: staff only ------------------------------------------------------------------
    _staff_only("PUT", "/admin/portals/{portalId}", f"/admin/portals/{PORTAL}", PORTAL_BODY),
    _staff_only("GET", "/admin/portals/{portalId}", f"/admin/portals/{PORTAL}"),
    _staff_only("PUT", "/admin/portals/{portalId}/users/{userId}", f"/admin/portals/{PORTAL}/users/u1", USER_BODY),
    _staff_only("GET", "/admin/portals/{portalId}/users/{userId}", f"/admin/portals/{PORTAL}/users/u1"),
    _staff_only(
        "PUT",
        "/admin/portals/{portalId}/groups/{groupId}",
        f"/admin/portals/{PORTAL}/groups/g1",
        {"title": "g1", "members": ["u1", "u2"]},
    ),
    _staff_only("GET", "/admin/portals/{portalId}/groups/{groupId}", f"/admin/portals/{PORTAL}/groups/g1"),
    _staff_only("PUT", "/admin/los/{loId}", "/admin/los/i1", {**LO_BODY, "marketplace": False}),
    _staff_only("GET", "/admin/los/{loId}", "/admin/los/i1"),
    _staff_only(
        "PUT",
        "/admin/companies/{companyId}",
        f"/admin/companies/{COMPANY}",
        {"name": "home", "api_keys": ["share-key-home-0123456789"]},
    ),
    _staff_only("GET", "/admin/companies/{companyId}", f"/admin/companies/{COMPANY}"),
    _staff_only(
        "PUT",
        "/admin/products/{productId}",
        f"/admin/products/{PRODUCT}",
        {"company": COMPANY, "name": "seat", "price": 100.0, "currency": "NOK"},
    ),
    _staff_only("GET", "/admin/products/{productId}", f"/admin/products/{PRODUCT}"),
    _staff_only(
        "PUT",
        "/admin/clients/{clientId}",
        f"/admin/clients/{CLIENT}",
        {"name": CLIENT, "policy": {"credits": {"balance": 1_000_000, "per_create": 1, "per_completion": 5}}},
    ),
    _staff_only("GET", "/admin/clients/{clientId}", f"/admin/clients/{CLIENT}"),
    _staff_only("POST", "/admin/clients/{clientId}/credits", f"/admin/clients/{CLIENT}/credits", {"amount": 1}),
    _staff_only("PUT", "/admin/coupons/{code}", "/admin/coupons/HALF", {"portal": PORTAL, "discount": 0.5}),
    _staff_only("GET", "/admin/coupons/{code}", "/admin/coupons/HALF"),
    _staff_only(
        "POST",
        "/admin/portals/{portalId}/credit-tokens",
        f"/admin/portals/{PORTAL}/credit-tokens",
        {"lo_id": "i1", "count": 1},
    ),
    RouteCase("GET", "/admin/audit/{day}", lambda _w: f"/admin/audit/{_today()}", {"staff": 200}),
    # --- plans (Go1) ------------------------------------------------------------------------------
    RouteCase(
        "POST",
        "/enrolment/plan/{instance}/{loId}/user/{userId}",
        _const(f"/enrolment/plan/{PORTAL}/c1/user/u1"),
        {"learner": 200, "manager": 200, "admin": 200, "staff": 200, "other_client": 200},
        body=lambda _w: {"status": 1, "notify": False},
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
    ),
    RouteCase(
        "POST",
        "/enrolment/plan/{instance}/{loId}/group/{groupId}",
        _const(f"/enrolment/plan/{PORTAL}/c1/group/g1"),
        {"admin": 200, "staff": 200},
        body=lambda _w: {"status": 1, "notify": False},
        go1=True,
    ),
    RouteCase(
        "GET",
        "/enrolment/plan/{instance}",  # the plan id (template names the level as its siblings do)
        lambda w: f"/enrolment/plan/{w.ids['plan']}",
        PLAN_READERS,
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
        secrets=("plan",),
        keepers=tuple(PLAN_READERS),
    ),
    RouteCase(
        "GET",
        "/enrolment/plan/{instance}/user/{userId}",
        _const(f"/enrolment/plan/{PORTAL}/user/u1"),
        PLAN_READERS,
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
        secrets=("plan",),
        keepers=tuple(PLAN_READERS),
    ),
    RouteCase(
        "PATCH",
        "/enrolment/plan/{instance}",  # the plan id; u1's plan was assigned by the admin: not u1's to move
        lambda w: f"/enrolment/plan/{w.ids['plan']}",
        PLAN_MANAGERS,
        body=lambda _w: {"due_date": "2031-01-01T00:00:00Z", "notify": False},
        go1=True,
    ),
    RouteCase(
        "DELETE",
        "/enrolment/plan/{instance}",  # unassigning again answers 204 too: every manager's cell is 204
        lambda w: f"/enrolment/plan/{w.ids['plan_to_unassign']}",
        PLAN_MANAGERS,
        go1=True,
    ),
    RouteCase(
        "POST",
        "/enrolment/plan/{instance}/{loId}/users",
        _const(f"/enrolment/plan/{PORTAL}/c1/users"),
        # Answered per user to anyone with a role in the portal (a learner assigns only themselves).
        dict.fromkeys(("learner", "other_learner", "manager", "admin", "assessor", "staff"), 200),
        body=lambda _w: {"user_ids": ["u1"], "status": 1, "notify": False},
        go1=True,
    ),
    RouteCase(
        "GET",
        "/enrolment/plan/group-assignment/{id}",
        lambda w: f"/enrolment/plan/group-assignment/{w.ids['group_assignment']}",
        {"admin": 200, "staff": 200},
        go1=True,
        secrets=("group_assignment",),
        keepers=("admin", "staff"),
    ),
    # --- enrolments (Go1) -------------------------------------------------------------------------
    RouteCase(
        "POST",
        "/enrolment/{instance}/{parentLoId}/{loId}/enrolment/{statusOrEmail}",
        _const(f"/enrolment/{PORTAL}/0/i1/enrolment/in-progress"),
        {**dict.fromkeys(EVERYONE, 200), "other_client": 200},
        body=lambda _w: {"notify": False},
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
    ),
    RouteCase(
        "POST",
        "/enrolment/{instance}/{parentLoId}/{loId}/enrolment",
        _const(f"/enrolment/{PORTAL}/0/i1/enrolment"),
        {**dict.fromkeys(EVERYONE, 200), "other_client": 200},
        body=lambda _w: {"notify": False},
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
    ),
    RouteCase(
        "POST",
        "/enrolment/{instance}/{parentLoId}/{loId}/enrolment/{statusOrEmail}/{status}",
        _const(f"/enrolment/{PORTAL}/0/i1/enrolment/u1@example.com/in-progress"),
        MANAGER_ADMIN_STAFF,
        body=lambda _w: {"notify": False},
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
    ),
    RouteCase(
        "POST",
        "/enrolment/{instance}/enrolment",
        _const(f"/enrolment/{PORTAL}/enrolment"),
        {**dict.fromkeys(EVERYONE, 200), "other_client": 200},
        body=lambda _w: {"items": [{"loId": "i1"}], "notify": False},
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
    ),
    RouteCase(
        "POST",
        "/enrolment/{instance}/enrolment/{studentEmail}",
        _const(f"/enrolment/{PORTAL}/enrolment/u1@example.com"),
        MANAGER_ADMIN_STAFF,
        body=lambda _w: {"items": [{"loId": "i1"}], "notify": False},
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
    ),
    RouteCase(
        "PUT",
        "/enrolment/enrolment/{enrolmentId}",
        lambda w: f"/enrolment/enrolment/{w.ids['enrolment']}",
        {"learner": 204, "manager": 204, "admin": 204, "assessor": 204, "staff": 204, "other_client": 204},
        body=lambda _w: {"note": "matrix"},
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
    ),
    RouteCase(
        "GET",
        "/enrolment/enrolment/{enrolmentId}",
        lambda w: f"/enrolment/enrolment/{w.ids['enrolment']}",
        ENROLMENT_READERS,
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
        secrets=("enrolment",),
        keepers=tuple(ENROLMENT_READERS),
    ),
    RouteCase(
        "GET",
        "/enrolment/enrolment/{enrolmentId}/history",
        lambda w: f"/enrolment/enrolment/{w.ids['enrolment']}/history",
        ENROLMENT_READERS,
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
        secrets=("enrolment",),
        keepers=tuple(ENROLMENT_READERS),
    ),
    RouteCase(
        "GET",
        "/enrolment/{instance}/user/{userId}/enrolments",
        _const(f"/enrolment/{PORTAL}/user/u1/enrolments"),
        SELF_MANAGER_ADMIN_STAFF,
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
        secrets=("enrolment",),
        keepers=tuple(SELF_MANAGER_ADMIN_STAFF),
    ),
    RouteCase(
        "GET",
        "/enrolment/{instance}/lo/{loId}/user/{userId}",
        _const(f"/enrolment/{PORTAL}/lo/i1/user/u1"),
        ENROLMENT_READERS,
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
        secrets=("enrolment",),
        keepers=tuple(ENROLMENT_READERS),
    ),
    RouteCase(
        "DELETE",
        "/enrolment/enrolment/{enrolmentId}",
        lambda w: f"/enrolment/enrolment/{_fresh_enrolment(w)}",  # each cell withdraws an enrolment of its own
        {"manager": 204, "admin": 204, "staff": 204},
        go1=True,
        outsiders=("other_portal_admin", "other_company"),
    ),
    # --- plan plays (client c-home) -----------------------------------------------------------------
    RouteCase(
        "POST",
        "/api/plan-plays",
        _const("/api/plan-plays"),
        {"learner": 201, "other_learner": 201, "manager": 201, "admin": 201, "other_client": 201},
        exceptions={"staff": 400},
        body=lambda _w: {"planId": "plan-matrix", "plannedLessons": LESSONS},
        outsiders=(),  # each creates in its own client
    ),
    RouteCase(
        "GET",
        "/api/plan-plays",
        _const(f"/api/plan-plays?clientId={CLIENT}"),
        {**dict.fromkeys(CLIENT_MEMBERS, 200), "staff": 200},
        secrets=("plan_play",),
        keepers=("learner", "staff"),
    ),
    RouteCase(
        "GET",
        "/api/plan-plays/{planPlayId}",
        lambda w: f"/api/plan-plays/{w.ids['plan_play']}",
        {"learner": 200, "staff": 200},
        secrets=("plan_play",),
        keepers=("learner", "staff"),
    ),
    RouteCase(
        "PATCH",
        "/api/plan-plays/{planPlayId}",
        lambda w: f"/api/plan-plays/{w.ids['plan_play']}",
        {"learner": 200, "staff": 200},
        body=lambda _w: {"currentLessonIndex": 1},
        secrets=("plan_play",),
        keepers=("learner", "staff"),
    ),
    RouteCase(
        "GET",
        "/api/usage",
        _const(f"/api/usage?clientId={CLIENT}"),
        {**dict.fromkeys(CLIENT_MEMBERS, 200), "staff": 200},
    ),
    # --- subscription plans (company COMPANY, X-Share-Api-Key) ---------------------------------------------
    RouteCase(
        "POST",
        "/plans",
        _const("/plans"),
        {"admin": 200},
        exceptions={"other_company": 400},  # the home company's product is not in its catalogue
        body=_subscription_body,
        outsiders=(),  # the other company creates in its own company
    ),
    RouteCase(
        "GET",
        "/plans",
        _const("/plans"),
        {**dict.fromkeys(CLIENT_MEMBERS, 200), "other_company": 200},
        secrets=("subscription_plan",),
        keepers=CLIENT_MEMBERS,
    ),
    RouteCase(
        "GET",
        "/plans/{plan_id}",
        lambda w: f"/plans/{w.ids['subscription_plan']}",
        dict.fromkeys(CLIENT_MEMBERS, 200),
        exceptions={"other_company": 404},
        secrets=("subscription_plan",),
        keepers=CLIENT_MEMBERS,
    ),
    RouteCase(
        "PUT",
        "/plans/{plan_id}",
        lambda w: f"/plans/{w.ids['subscription_plan']}",
        {"admin": 200},
        exceptions={"other_company": 404},
        body=lambda _w: {"name": "Renamed"},
        secrets=("subscription_plan",),
        keepers=CLIENT_MEMBERS,
    ),
    RouteCase(
        "DELETE",
        "/plans/{plan_id}",
        lambda w: f"/plans/{w.new_subscription_plan()}",
        {"admin": 204},
        exceptions={"other_company": 404},
    ),
    # --- payment methods (docs/product.md "Billing"): each user's own; company claim and X-Share-Api-Key -----------
    RouteCase(
        "POST",
        "/payment_methods",
        _const("/payment_methods"),
        {**dict.fromkeys(CLIENT_MEMBERS, 200), "other_company": 200},
        body=lambda _w: {"method": "stripe", "token": "tok_visa"},
        outsiders=(),  # everyone with a company stores their own card
    ),
    RouteCase(
        "GET",
        "/payment_methods",
        _const("/payment_methods"),
        {**dict.fromkeys(CLIENT_MEMBERS, 200), "other_company": 200},
        secrets=("payment_method",),
        keepers=("learner",),
    ),
    RouteCase(
        "GET",
        "/payment_methods/{method_id}",
        lambda w: f"/payment_methods/{w.ids['payment_method']}",
        {"learner": 200},
        exceptions={"other_learner": 404, "manager": 404, "admin": 404, "other_company": 404},
        secrets=("payment_method",),
        keepers=("learner",),
    ),
    RouteCase(
        "DELETE",
        "/payment_methods/{method_id}",
        lambda w: f"/payment_methods/{w.new_payment_method()}",
        {"learner": 204},
        exceptions={"other_learner": 404, "manager": 404, "admin": 404, "other_company": 404},
    ),
    # --- billing (docs/product.md "Billing"): the subscriber (u1) and company admins; anyone else 404 ----------------
    RouteCase(
        "POST",
        "/subscriptions",
        _const("/subscriptions"),
        dict.fromkeys(CLIENT_MEMBERS, 200),
        exceptions={"other_company": 400},  # the home company's plan is not one of its plans
        body=lambda w: {"plan": w.ids["subscription_plan"]},
        outsiders=(),
    ),
    RouteCase(
        "POST",
        "/subscriptions/{subscription_id}/start",
        lambda w: f"/subscriptions/{w.new_subscription(start=False)}/start",
        SUBSCRIBER_AND_ADMIN,
        exceptions=OTHERS_NOT_FOUND,
        body=lambda w: {"payment_method": w.ids["payment_method"]},
    ),
    RouteCase(
        "POST",
        "/subscriptions/{subscription_id}/update",
        lambda w: f"/subscriptions/{w.ids['subscription']}/update",
        SUBSCRIBER_AND_ADMIN,
        exceptions=OTHERS_NOT_FOUND,
        body=lambda _w: {"note": "matrix"},
        secrets=("subscription",),
        keepers=SUBSCRIBER_KEEPERS,
    ),
    RouteCase(
        "POST",
        "/subscriptions/{subscription_id}/stop",
        lambda w: f"/subscriptions/{w.new_subscription()}/stop",
        SUBSCRIBER_AND_ADMIN,
        exceptions=OTHERS_NOT_FOUND,
        body=lambda _w: {},
    ),
    RouteCase(
        "GET",
        "/subscriptions/{subscription_id}",
        lambda w: f"/subscriptions/{w.ids['subscription']}",
        SUBSCRIBER_AND_ADMIN,
        exceptions=OTHERS_NOT_FOUND,
        secrets=("subscription",),
        keepers=SUBSCRIBER_KEEPERS,
    ),
    RouteCase(
        "GET",
        "/subscriptions",
        _const("/subscriptions"),
        {**dict.fromkeys(CLIENT_MEMBERS, 200), "other_company": 200},
        secrets=("subscription",),
        keepers=SUBSCRIBER_KEEPERS,
    ),
    RouteCase(
        "GET",
        "/users/{user_id}/subscriptions",
        _const("/users/u1/subscriptions"),
        {**SUBSCRIBER_AND_ADMIN, "other_company": 200},  # its own company's u1: none
        exceptions={"other_learner": 404, "manager": 404},
        secrets=("subscription",),
        keepers=SUBSCRIBER_KEEPERS,
    ),
    *(
        RouteCase(
            "GET",
            f"/{kind}s/{{{kind}_id}}",
            _path_of(kind),
            SUBSCRIBER_AND_ADMIN,
            exceptions=OTHERS_NOT_FOUND,
            secrets=(kind,),
            keepers=SUBSCRIBER_KEEPERS,
        )
        for kind in ("invoice", "payment", "order")
    ),
    *(
        RouteCase(
            "GET",
            f"/{kind}s",
            _const(f"/{kind}s"),
            {**dict.fromkeys(CLIENT_MEMBERS, 200), "other_company": 200},
            secrets=(kind,),
            keepers=("learner",),  # an admin lists another user's with ?user=
        )
        for kind in ("invoice", "payment", "order")
    ),
)


@dataclass
class Cell:
    case: RouteCase
    actor: str
    path: str
    status: Status
    body: str

    @property
    def expected(self) -> Status:
        return self.case.expected(self.actor)

    @property
    def mismatch(self) -> bool:
        return self.status != self.expected

    @property
    def server_error(self) -> bool:
        return self.status >= 500

    @property
    def leak(self) -> bool:
        """An outsider got a success it should not have, or saw a home object's id."""
        if self.actor not in self.case.outsiders and self.actor not in BAD_TOKENS:
            return False
        return 200 <= self.status < 300 and self.expected >= 400

    def leaked_secret(self, world: World) -> bool:
        """A success that shows a home object's id to someone who may not see it (a list, say)."""
        if self.actor in self.case.keepers or not 200 <= self.status < 300:
            return False
        return any(world.ids[name] in self.body for name in self.case.secrets)

    def describe(self) -> str:
        return (
            f"{self.case.method} {self.path} as {self.actor}: got {self.status}, want {self.expected} {self.body[:160]}"
        )


def run_cell(world: World, case: RouteCase, actor: str) -> Cell:
    path = case.path(world)
    body = case.body(world) if case.body is not None else None
    answer = world.call(actor, case.method, path, body)
    return Cell(case, actor, path, answer.status, answer.body)


def run_matrix(world: World, cases: tuple[RouteCase, ...] = CASES) -> list[Cell]:
    return [run_cell(world, case, actor) for case in cases for actor in ACTORS]


def missing_routes(routes: list[tuple[str, str]], cases: tuple[RouteCase, ...] = CASES) -> list[tuple[str, str]]:
    covered = {(c.method, c.route) for c in cases}
    return [r for r in routes if r not in covered]
