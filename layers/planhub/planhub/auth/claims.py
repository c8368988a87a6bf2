"""The caller, as the token describes them (docs/product.md "Identity").

Every claim has its declared type, strictly: `"staff": "true"` or `1` is not `true`, a
numeric `sub` is not a user id. A token whose claims do not fit is refused by the
authorizer, never read leniently.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from planhub.errors import Unauthenticated


class PortalRole(StrEnum):
    LEARNER = "learner"
    MANAGER = "manager"
    ADMIN = "admin"
    ASSESSOR = "assessor"


class CompanyMembership(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: StrictStr = Field(min_length=1)
    admin: StrictBool = False


class Claims(BaseModel):
    """Verified token claims. `exp` is required: a token that never expires is refused."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sub: StrictStr = Field(min_length=1)
    email: StrictStr | None = None
    name: StrictStr | None = None
    roles: dict[StrictStr, list[PortalRole]] = Field(default_factory=dict)
    staff: StrictBool = False
    client_id: StrictStr | None = None
    company: CompanyMembership | None = None
    exp: StrictInt
    iat: StrictInt | None = None

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
