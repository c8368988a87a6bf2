"""A coupon: a discount on LOs of one portal, with optional limits on its uses and its life."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key


class Coupon(Entity):
    entity_type: ClassVar[str] = "coupon"

    code: str
    portal: str
    discount: float
    lo_ids: list[str] | None = None
    max_uses: int | None = None
    expires: datetime | None = None
    uses: int = 0

    def keys(self) -> Key:
        return keys.coupon(self.code)
