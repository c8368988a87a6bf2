"""The catalog's request bodies and views (docs/product.md "Catalog"): what staff upsert and what
the catalog's APIs answer beside its records.

The records themselves (what is stored, knowing its keys) are in `planhub.records`, since
other areas read them too; records answer GETs as they are stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from planhub.auth.claims import PortalRole
from planhub.id_rules import ID_MAX_LENGTH, ID_PATTERN
from planhub.records.client import ClientPolicy, ClientUsage
from planhub.records.learning_object import CONTAINER_TYPES, LoType
from planhub.records.price import Currency, Price

MAX_GROUP_MEMBERS = 10_000
# One transaction: the tokens, their event, and the checks of the portal and the LO.
MAX_CREDIT_TOKENS_PER_CALL = 97

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat an id")
    return values


UniqueIds = Annotated[list[Identifier], AfterValidator(_unique)]


class Body(BaseModel):
    """Request bodies refuse unknown fields: a typo is a 400, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- portals -------------------------------------------------------------------------


class PortalBody(Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$")]
    title: Title | None = None


# --- users ---------------------------------------------------------------------------


class UserBody(Body):
    email: Email
    name: Title
    roles: list[PortalRole] = Field(default_factory=list)
    managers: UniqueIds = Field(default_factory=list)


# --- groups --------------------------------------------------------------------------


class GroupBody(Body):
    title: Title
    members: Annotated[UniqueIds, Field(max_length=MAX_GROUP_MEMBERS)] = Field(default_factory=list)


class GroupView(BaseModel):
    portal_id: str
    id: str
    title: str
    members: list[str]


# --- learning objects ------------------------------------------------------------------


class LearningObjectBody(Body):
    portal: Identifier
    type: LoType
    title: Title
    children: UniqueIds = Field(default_factory=list)
    assessors: UniqueIds = Field(default_factory=list)
    price: Price | None = None
    marketplace: bool = False

    @model_validator(mode="after")
    def _only_containers_have_children(self) -> LearningObjectBody:
        if self.children and self.type not in CONTAINER_TYPES:
            raise ValueError(f"children: a {self.type.value} cannot have children")
        return self


# --- companies and products -------------------------------------------------------------


class CompanyBody(Body):
    name: Title
    # API Gateway accepts keys of 20 to 128 characters (they are registered on its usage plan);
    # a key travels in a header, so it is printable ASCII without spaces.
    api_keys: Annotated[
        list[Annotated[str, StringConstraints(min_length=20, max_length=128, pattern=r"^[!-~]+$")]],
        Field(max_length=20),
    ]


class ProductBody(Body):
    company: Identifier
    name: Title
    # DynamoDB stores numbers from 1e-130 to 1e126 only: beyond that a put fails, so refuse it here (400).
    price: float = Field(ge=0, le=1e12, allow_inf_nan=False)
    currency: Currency

    @field_validator("price")
    @classmethod
    def _storable(cls, price: float) -> float:
        if 0 < price < 1e-6:
            raise ValueError("must be 0 or at least 0.000001")
        return price


# --- commercial API clients ------------------------------------------------------------


class ClientBody(Body):
    name: Title
    policy: ClientPolicy = Field(default_factory=ClientPolicy)


class ClientView(BaseModel):
    id: str
    name: str
    policy: ClientPolicy
    balance: int | None = Field(description="Current credit balance; null when the client is not metered by credits")
    usage: ClientUsage


class CreditTopUpBody(Body):
    amount: int = Field(gt=0, le=1_000_000_000)


# --- coupons and credit tokens ----------------------------------------------------------


class CouponBody(Body):
    portal: Identifier
    discount: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    lo_ids: UniqueIds | None = None
    max_uses: int | None = Field(default=None, ge=1)
    expires: datetime | None = None


class CreditTokensBody(Body):
    lo_id: Identifier
    count: int = Field(ge=1, le=MAX_CREDIT_TOKENS_PER_CALL)


class CreditTokensIssued(BaseModel):
    tokens: list[str]


class AuditEntry(BaseModel):
    event_id: str
    type: str
    occurred_at: str
    actor: str | None = None
    data: dict[str, object]


class AuditPage(BaseModel):
    data: list[AuditEntry]
    cursor: str | None = None
