"""Who may see and change subscriptions, invoices, payments and orders: the subscriber and
their company's admins (and platform staff). Anyone else is told the thing is not there."""

from __future__ import annotations

from planhub.auth.claims import Claims, CompanyMembership
from planhub.errors import Forbidden
from planhub.records.company import Company


def membership(claims: Claims) -> CompanyMembership:
    if claims.company is None:
        raise Forbidden("Subscriptions need a token that names your company")
    return claims.company


def is_company_admin(claims: Claims) -> bool:
    return claims.staff or (claims.company is not None and claims.company.admin)


def require_api_key(company: Company | None, api_key: str | None) -> Company:
    if company is None or not company.accepts(api_key):
        raise Forbidden("Invalid or missing X-Share-Api-Key for your company")
    return company


def may_see(claims: Claims, company_id: str, user_id: str) -> bool:
    """The subscriber (or payer) and their company's admins."""
    company = membership(claims)
    if company_id != company.id:
        return False
    return user_id == claims.sub or is_company_admin(claims)
