"""Who may assign and read plans (docs/product.md "Plans"). Pure functions of claims and records."""

from __future__ import annotations

from planhub.auth.claims import Claims
from planhub.errors import Forbidden
from planhub.records.user import User


def require_staff_for(claims: Claims, fields: list[str]) -> None:
    """`source_type`, `source_id` and `assigner_id` speak for someone else: staff only."""
    if fields and not claims.staff:
        raise Forbidden(f"Only staff may set {', '.join(fields)}")


def may_assign(claims: Claims, portal_id: str, user: User) -> bool:
    """Anyone to themselves; a user's managers; the portal's admins; staff."""
    return claims.staff or claims.sub == user.id or user.is_managed_by(claims.sub) or claims.is_admin_of(portal_id)


def require_may_assign(claims: Claims, portal_id: str, user: User) -> None:
    if not may_assign(claims, portal_id, user):
        raise Forbidden(f"You may not assign learning to user {user.id}")


def require_may_assign_group(claims: Claims, portal_id: str) -> None:
    if not (claims.staff or claims.is_admin_of(portal_id)):
        raise Forbidden("Only the portal's admins and staff may assign learning to a group")


def require_may_read_group_plan(claims: Claims, portal_id: str) -> None:
    if not (claims.staff or claims.is_admin_of(portal_id)):
        raise Forbidden("Only the portal's admins and staff may read a group's assignment")


def may_read_without_user(claims: Claims, portal_id: str, user_id: str | None) -> bool:
    """Decided from the plan alone: the plan's user, the portal's admins, staff."""
    return claims.staff or claims.is_admin_of(portal_id) or (user_id is not None and claims.sub == user_id)


def require_may_read(claims: Claims, portal_id: str, user: User | None) -> None:
    """The plan's user, their managers, the portal's admins, staff."""
    user_id = user.id if user else None
    if may_read_without_user(claims, portal_id, user_id):
        return
    if user is not None and user.is_managed_by(claims.sub):
        return
    raise Forbidden("You may not read this plan")


def forbidden_to_read() -> Forbidden:
    return Forbidden("You may not read this user's plans")


def may_manage_without_user(claims: Claims, portal_id: str, user_id: str, assigner_id: str) -> bool:
    """Change or unassign a plan, decided from the plan alone: the portal's admins, staff, and
    the user when they assigned it to themselves (a plan someone else gave them is not theirs to drop)."""
    return claims.staff or claims.is_admin_of(portal_id) or (claims.sub == user_id == assigner_id)


def require_may_manage(claims: Claims, portal_id: str, user: User | None) -> None:
    """...and the user's managers."""
    if user is not None and user.is_managed_by(claims.sub):
        return
    raise Forbidden("You may not change this plan")


def require_role_in(claims: Claims, portal_id: str) -> None:
    """Assigning to a list of users: staff, or someone with a role in the portal (each user is then answered)."""
    if not (claims.staff or claims.roles_in(portal_id)):
        raise Forbidden(f"You have no role in portal {portal_id}")
