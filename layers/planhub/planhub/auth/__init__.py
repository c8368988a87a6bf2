"""Identity: verifying tokens, the claims model, and the authorizer's decision."""

from planhub.auth.claims import Claims, CompanyMembership, PortalRole

__all__ = ["Claims", "CompanyMembership", "PortalRole"]
