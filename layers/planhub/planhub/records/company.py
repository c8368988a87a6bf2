"""A company (with the fingerprints of its API keys) and the products it sells."""

from __future__ import annotations

import hashlib
from typing import ClassVar

from pydantic import Field

from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key


def fingerprint(api_key: str) -> str:
    """Stored instead of the key itself: a leaked table does not leak usable keys."""
    return hashlib.sha256(api_key.encode()).hexdigest()


class Company(Entity):
    entity_type: ClassVar[str] = "company"

    id: str
    name: str
    api_key_fingerprints: list[str] = Field(default_factory=list)

    def keys(self) -> Key:
        return keys.company(self.id)

    def accepts(self, api_key: str | None) -> bool:
        return api_key is not None and fingerprint(api_key) in self.api_key_fingerprints


class Product(Entity):
    entity_type: ClassVar[str] = "product"

    id: str
    company: str
    name: str
    price: float
    currency: str

    def keys(self) -> Key:
        return keys.product(self.id)
