"""A portal: the tenant every user, group, plan and enrolment belongs to."""

from __future__ import annotations

from typing import ClassVar

from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key


class Portal(Entity):
    entity_type: ClassVar[str] = "portal"

    id: str
    name: str
    title: str | None = None

    def keys(self) -> Key:
        return keys.portal(self.id)
