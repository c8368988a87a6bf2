"""Who may see and change which plan plays (docs/product.md "Plan plays").

The caller acts for the API client their token names (`client_id`); staff may name another
one with `clientId`. A caller who is not staff sees and changes only their own plan plays;
staff may do anything.
"""

from __future__ import annotations

from planhub.auth.claims import Claims
from planhub.errors import Forbidden, InvalidInput
from planhub.plan_plays.models import PlanPlay

ACCESS_DENIED = "Access denied"


def client_of(claims: Claims, requested: str | None) -> str:
    """The client the request acts for: the token's, or (staff only) the one named."""
    if requested is not None and requested != claims.client_id:
        if not claims.staff:
            raise Forbidden(ACCESS_DENIED)
        return requested
    if claims.client_id is not None:
        return claims.client_id
    if claims.staff:
        raise InvalidInput(
            "clientId: required when the token names no client",
            details=[{"field": "query.clientId", "message": "required when the token names no client"}],
        )
    raise Forbidden(ACCESS_DENIED)


def owner_for_new_play(claims: Claims, requested: str | None) -> str:
    """Whose plan play a create makes: the caller's own, or (staff only) anyone's."""
    user_id = requested or claims.sub
    if user_id != claims.sub and not claims.staff:
        raise Forbidden(ACCESS_DENIED)
    return user_id


def owner_filter(claims: Claims, requested: str | None) -> str | None:
    """Whose plan plays a list shows: only the caller's own unless they are staff."""
    if claims.staff:
        return requested
    if requested is not None and requested != claims.sub:
        raise Forbidden(ACCESS_DENIED)
    return claims.sub


def require_access(claims: Claims, play: PlanPlay) -> None:
    if claims.staff:
        return
    if play.clientId != claims.client_id or play.userId != claims.sub:
        raise Forbidden(ACCESS_DENIED)
