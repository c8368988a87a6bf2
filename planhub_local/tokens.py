"""Signed tokens for local use and tests (HS256 with the local JWT_SECRET)."""

from __future__ import annotations

import os
import time
from typing import Any

import jwt

from planhub_local.stack import DEFAULT_JWT_SECRET


def secret() -> str:
    return os.environ.get("JWT_SECRET") or DEFAULT_JWT_SECRET


def sign(claims: dict[str, Any], *, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or secret(), algorithm=algorithm)


def token(
    sub: str,
    *,
    roles: dict[str, list[str]] | None = None,
    staff: bool = False,
    client_id: str | None = None,
    company: dict[str, Any] | None = None,
    email: str | None = None,
    name: str | None = None,
    ttl_seconds: int = 3600,
    **extra: Any,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "iat": now, "exp": now + ttl_seconds, "roles": roles or {}, "staff": staff}
    for field, value in (("client_id", client_id), ("company", company), ("email", email), ("name", name)):
        if value is not None:
            claims[field] = value
    claims.update(extra)
    return sign(claims)


def staff(sub: str = "staff-1") -> str:
    return token(sub, staff=True, email=f"{sub}@planhub.example.com", name="Staff")


# The demo seed's people (seeds/demo.json), one token each: (variable, what it is for, claims).
DEMO_COMPANY = "57ee9c71d76d431f8511142f"
DEMO_ROLES: list[tuple[str, str, dict[str, Any]]] = [
    ("STAFF", "staff: catalog, /admin", {"sub": "staff-1", "staff": True, "email": "staff@planhub.example.com"}),
    ("ADMIN", "u-admin, admin of portal p-acme", {"sub": "u-admin", "roles": {"p-acme": ["admin"]}}),
    ("MANAGER", "u-manager, manager; assessor of lo-course", {"sub": "u-manager", "roles": {"p-acme": ["manager"]}}),
    (
        "LEARNER",
        "u-learner, learner; API client c-demo for plan plays",
        {"sub": "u-learner", "roles": {"p-acme": ["learner"]}, "client_id": "c-demo"},
    ),
    ("LEARNER_2", "u-learner-2, another learner", {"sub": "u-learner-2", "roles": {"p-acme": ["learner"]}}),
    (
        "COMPANY_ADMIN",
        f"u-admin as admin of company {DEMO_COMPANY} (subscription plans)",
        {"sub": "u-admin", "company": {"id": DEMO_COMPANY, "admin": True}},
    ),
]


def demo_tokens(ttl_seconds: int = 12 * 3600) -> dict[str, str]:
    """A token per demo role, signed with this process's JWT_SECRET (or the built-in default)."""
    found = {}
    for variable, _, claims in DEMO_ROLES:
        fields = dict(claims)
        found[variable] = token(fields.pop("sub"), ttl_seconds=ttl_seconds, **fields)
    return found


def check_against(url: str, staff_token: str) -> str | None:
    """None when the stack at `url` accepts our tokens; otherwise what the person should know."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - the operator's own local stack
        f"{url.rstrip('/')}/admin/portals/p-acme", headers={"Authorization": f"Bearer {staff_token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            return None
    except urllib.error.HTTPError as error:
        if error.code == 401:
            return (
                f"the stack at {url} refuses these tokens: its JWT_SECRET differs. Run `make token` with the"
                " JWT_SECRET `make local` was started with (or neither with one: both use the built-in default)."
            )
        return None  # e.g. 404 before the demo seed: the token itself was accepted
    except OSError:
        return f"no stack answers at {url}: these tokens are signed with {_which_secret()}, as `make local` would be."


def _which_secret() -> str:
    return "your JWT_SECRET" if os.environ.get("JWT_SECRET") else "the built-in local default secret"


def main(argv: list[str] | None = None) -> None:
    """`make token`: a token per demo role, valid for 12 hours, as shell assignments (`eval "$(make -s token)"`)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m planhub_local.tokens", description=main.__doc__)
    parser.add_argument("--url", default=None, help="check the tokens against the running stack there")
    args = parser.parse_args(argv)
    tokens = demo_tokens()
    for variable, purpose, _ in DEMO_ROLES:
        print(f"{variable}={tokens[variable]}  # {purpose}")
    if args.url:
        problem = check_against(args.url, tokens["STAFF"])
        if problem:
            print(f"make token: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
