"""A credit token: a prepaid, single-use credit for one LO in one portal."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key


class CreditTokenStatus(StrEnum):
    AVAILABLE = "available"
    USED = "used"


class CreditToken(Entity):
    """A prepaid, single-use credit for one LO in one portal."""

    entity_type: ClassVar[str] = "credit_token"

    token: str
    portal_id: str
    lo_id: str
    status: CreditTokenStatus = CreditTokenStatus.AVAILABLE
    used_by: str | None = None
    used_at: datetime | None = None

    def keys(self) -> Key:
        return keys.credit_token(self.token)
