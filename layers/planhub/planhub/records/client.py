"""A commercial API client, its policy (rate limit, quota, credits) and its monthly usage."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests: int = Field(gt=0)
    per_seconds: int = Field(gt=0, le=86_400)


class Quota(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activities: int = Field(gt=0)
    period: Literal["day", "month"] = "month"


class Credits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    balance: int = Field(ge=0)
    per_create: int = Field(default=0, ge=0)
    per_completion: int = Field(default=0, ge=0)


class ClientPolicy(BaseModel):
    """Any part may be null: no rate limit, no quota, or free."""

    model_config = ConfigDict(extra="forbid")

    rate_limit: RateLimit | None = None
    quota: Quota | None = None
    credits: Credits | None = None


class Client(Entity):
    """A commercial API client. `policy.credits.balance` is the live balance."""

    entity_type: ClassVar[str] = "client"

    id: str
    name: str
    policy: ClientPolicy = Field(default_factory=ClientPolicy)
    # The live balance, kept while a policy without credits is in force (docs/product.md "Catalog":
    # replacing a client's policy never loses its balance); it is the opening balance again
    # when credits come back.
    retained_balance: int | None = None

    def keys(self) -> Key:
        return keys.client(self.id)


class ClientUsage(BaseModel):
    period: str
    activities: int = 0
    creates: int = 0
    completions: int = 0
    credits_consumed: int = 0
