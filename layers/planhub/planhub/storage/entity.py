"""Entities: pydantic models that know their own keys and item shape."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict

from planhub.storage.keys import Key

# Attributes that belong to the table's layout, not to the entity.
_LAYOUT_ATTRIBUTES = frozenset(
    {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "entity", "ttl"}
)


class Entity(BaseModel):
    """A record stored as one item. Subclasses name their `entity` type and their keys."""

    model_config = ConfigDict(extra="ignore")

    entity_type: ClassVar[str]

    def keys(self) -> Key:
        raise NotImplementedError

    def index_keys(self) -> dict[str, str]:
        """GSI attributes of the item; none by default."""
        return {}

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        item.update(self.keys())
        item.update(self.index_keys())
        item["entity"] = self.entity_type
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Self:
        return cls.model_validate({k: v for k, v in item.items() if k not in _LAYOUT_ATTRIBUTES})
