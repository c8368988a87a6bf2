"""A portal's group of users: the group's own item, and one item per member."""

from __future__ import annotations

from typing import ClassVar

from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key


class Group(Entity):
    """The group's own item; its members are one item each (`GroupMember`)."""

    entity_type: ClassVar[str] = "group"

    portal_id: str
    id: str
    title: str

    def keys(self) -> Key:
        return keys.group(self.portal_id, self.id)


class GroupMember(Entity):
    entity_type: ClassVar[str] = "group_member"

    portal_id: str
    group_id: str
    user_id: str

    def keys(self) -> Key:
        return keys.group_member(self.portal_id, self.group_id, self.user_id)
