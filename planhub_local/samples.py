"""Writes `events/<LogicalId>.json`: a REST proxy event for an API function, as API Gateway
would hand it over after the authorizer (claims in `requestContext.authorizer`), valid for
`sam local invoke <LogicalId> -e events/<LogicalId>.json`.

    python -m planhub_local.samples PutPortalFunction --path /admin/portals/p-acme \
        --body '{"name": "acme.example.com"}' [--claims '{"sub": "staff-1", "staff": true}']
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from planhub_local.gateway import Gateway
from planhub_local.template import REPO, Route, Template

DEFAULT_CLAIMS: dict[str, Any] = {"sub": "staff-1", "staff": True, "roles": {}}


def api_event(route: Route, path: str, body: Any, claims: dict[str, Any], query: str = "") -> dict[str, Any]:
    """The proxy event the local gateway would build for this request, claims included."""
    gateway = Gateway.__new__(Gateway)
    gateway.stage = "prod"
    match = route.pattern.match(path)
    if match is None:
        raise SystemExit(f"{path} does not match {route.path}")
    event = gateway._proxy_event(
        route,
        route.method,
        path,
        query,
        {"Content-Type": "application/json", "Host": "api.planhub.example.com"},
        json.dumps(body) if body is not None else None,
        match.groupdict(),
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    )
    full_claims = {"exp": int(time.time()) + 10 * 365 * 24 * 3600, **claims}
    event["requestContext"]["authorizer"] = {"principalId": claims["sub"], "claims": json.dumps(full_claims)}
    return event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("function", help="the function's logical id in template.yaml")
    parser.add_argument("--path", required=True, help="a concrete request path")
    parser.add_argument("--query", default="", help="query string without '?'")
    parser.add_argument("--body", default=None, help="JSON body")
    parser.add_argument("--claims", default=None, help="JSON claims (default: a staff user)")
    args = parser.parse_args()
    template = Template()
    route = next((r for r in template.routes() if r.function == args.function), None)
    if route is None:
        raise SystemExit(f"{args.function} has no Api event in template.yaml")
    claims = json.loads(args.claims) if args.claims else DEFAULT_CLAIMS
    body = json.loads(args.body) if args.body is not None else None
    event = api_event(route, args.path, body, claims, args.query)
    target = REPO / "events" / f"{args.function}.json"
    target.write_text(json.dumps(event, indent=2) + "\n")
    print(f"wrote {target.relative_to(REPO)}")


if __name__ == "__main__":
    main()
