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


def main() -> None:
    """`make token`: a staff token and a demo learner token, valid for 12 hours."""
    print("staff:  ", token("staff-1", staff=True, ttl_seconds=12 * 3600))
    print("learner:", token("u-learner", roles={"p-acme": ["learner"]}, client_id="c-demo", ttl_seconds=12 * 3600))


if __name__ == "__main__":
    main()
