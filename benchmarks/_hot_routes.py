"""The hot routes the gateway benchmarks drive, on the demo seed (gateway_load, gateway_overhead)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from planhub_local import tokens
from planhub_local.gateway import Gateway
from planhub_local.seed import load_seed
from planhub_local.server import DEMO_SEED
from planhub_local.stack import LocalStack

CLIENT = "c-load"


@dataclass(frozen=True)
class HotRoute:
    label: str
    method: str
    path: str
    token: str
    body: Any = None


def send(gateway: Gateway, method: str, path: str, token: str, body: Any = None) -> Any:
    """One request through the gateway; answers its JSON body (a 3xx-5xx is a broken benchmark)."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    answer = gateway.handle(method, path, headers, json.dumps(body) if body is not None else None)
    assert answer.status < 300, f"{method} {path}: {answer.status} {answer.body}"
    return answer.json()


def request(gateway: Gateway, route: HotRoute) -> Any:
    return send(gateway, route.method, route.path, route.token, route.body)


def hot_routes(stack: LocalStack, gateway: Gateway) -> list[HotRoute]:
    """Loads the demo seed, a client whose limits no run reaches, a plan play and a plan: the hot routes."""
    staff = tokens.staff()
    load_seed(DEMO_SEED, gateway, staff)
    policy = {
        "rate_limit": {"requests": 1_000_000, "per_seconds": 60},
        "quota": {"activities": 1_000_000, "period": "month"},
        "credits": {"balance": 1_000_000, "per_create": 1, "per_completion": 5},
    }
    send(gateway, "PUT", f"/admin/clients/{CLIENT}", staff, {"name": CLIENT, "policy": policy})
    learner = tokens.token("u-learner", client_id=CLIENT, roles={"p-acme": ["learner"]})
    admin = tokens.token("u-admin", roles={"p-acme": ["admin"]})
    play = {"planId": "plan-1", "plannedLessons": ["l1", "l2", "l3"]}
    play_id = send(gateway, "POST", "/api/plan-plays", learner, play)["data"]["id"]
    assign = {"status": 1, "notify": False}
    plan_id = send(gateway, "POST", "/enrolment/plan/p-acme/lo-course/user/u-learner", admin, assign)["id"]
    stack.drain()
    return [
        HotRoute("GET a plan play", "GET", f"/api/plan-plays/{play_id}", learner),
        HotRoute("POST a plan play", "POST", "/api/plan-plays", learner, play),
        HotRoute("GET a portal", "GET", "/admin/portals/p-acme", staff),
        HotRoute("GET a plan", "GET", f"/enrolment/plan/{plan_id}", admin),
    ]
