"""Who may do what. Pure functions of the caller's claims and the records involved."""

from __future__ import annotations

from planhub.auth.claims import Claims
from planhub.errors import Forbidden


def require_staff(claims: Claims) -> None:
    if not claims.staff:
        raise Forbidden("Only platform staff may do this")
