"""Who may do what with subscription plans: pure functions of the claims and the records.

A caller acts for the company of their token's `company` claim, and proves the company's
consent with one of its API keys in `X-Share-Api-Key`. Company admins (and platform staff)
manage the company's basic plans and see every plan; any member may create recurring order
plans, which are theirs: only they and the company's admins see and change them.
"""

from __future__ import annotations

from planhub.auth.claims import Claims, CompanyMembership
from planhub.errors import Forbidden
from planhub.records.company import Company
from planhub.subscriptions.models import PlanMethod, SubscriptionPlan


def membership(claims: Claims) -> CompanyMembership:
    if claims.company is None:
        raise Forbidden("Subscription plans need a token that names your company")
    return claims.company


def is_company_admin(claims: Claims) -> bool:
    return claims.staff or (claims.company is not None and claims.company.admin)


def require_api_key(company: Company | None, api_key: str | None) -> Company:
    """The company accepts the key; an unknown company accepts none."""
    if company is None or not company.accepts(api_key):
        raise Forbidden("Invalid or missing X-Share-Api-Key for your company")
    return company


def require_may_create(claims: Claims, method: PlanMethod) -> None:
    if method is PlanMethod.BASIC and not is_company_admin(claims):
        raise Forbidden("Only company admins may create basic plans")


def may_see(claims: Claims, plan: SubscriptionPlan) -> bool:
    company = membership(claims)
    if plan.company_id != company.id:
        return False
    return not plan.is_recurring or is_company_admin(claims) or plan.user_id == claims.sub


def require_may_change(claims: Claims, plan: SubscriptionPlan) -> None:
    """Assumes `may_see`: basic plans are the admins'; a recurring order plan is its owner's too."""
    if plan.is_recurring:
        if plan.user_id != claims.sub and not is_company_admin(claims):
            raise Forbidden("Only the plan's user and company admins may change a recurring order plan")
    elif not is_company_admin(claims):
        raise Forbidden("Only company admins may change basic plans")
