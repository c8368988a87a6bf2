"""A portal's user, found by id or (through GSI1) by email."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from planhub.auth.claims import PortalRole
from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key


class User(Entity):
    entity_type: ClassVar[str] = "user"

    portal_id: str
    id: str
    email: str
    name: str
    roles: list[PortalRole] = Field(default_factory=list)
    managers: list[str] = Field(default_factory=list)

    def keys(self) -> Key:
        return keys.user(self.portal_id, self.id)

    def index_keys(self) -> dict[str, str]:
        return {"GSI1PK": keys.user_email_index(self.portal_id, self.email), "GSI1SK": f"USER#{self.id}"}

    def is_managed_by(self, user_id: str) -> bool:
        return user_id in self.managers
