"""The caller, as the token describes them (SPEC.md section 2)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planhub.errors import Unauthenticated


class PortalRole(StrEnum):
    LEARNER = "learner"
    MANAGER = "manager"
    ADMIN = "admin"
    ASSESSOR = "assessor"


class CompanyMembership(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    admin: bool = False


class Claims(BaseModel):
    """Verified token claims. `exp` is required: a token that never expires is refused."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sub: str = Field(min_length=1)
    email: str | None = None
    name: str | None = None
    roles: dict[str, list[PortalRole]] = Field(default_factory=dict)
    staff: bool = False
    client_id: str | None = None
    company: CompanyMembership | None = None
    exp: int
    iat: int | None = None

    def roles_in(self, portal_id: str) -> frozenset[PortalRole]:
        return frozenset(self.roles.get(portal_id, []))

    def is_admin_of(self, portal_id: str) -> bool:
        return PortalRole.ADMIN in self.roles_in(portal_id)

    def to_context(self) -> str:
        """The claims as the authorizer hands them on (context values must be strings)."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_context(cls, raw: str | dict[str, Any] | None) -> Self:
        if not raw:
            raise Unauthenticated("Missing or invalid token")
        try:
            data = json.loads(raw) if isinstance(raw, str) else raw
            return cls.model_validate(data)
        except (ValueError, ValidationError) as error:
            raise Unauthenticated("Missing or invalid token") from error
