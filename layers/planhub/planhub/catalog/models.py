"""The catalog's records (SPEC.md section 3): what staff upsert and the APIs refer to.

Each record has a request body model (what a PUT accepts), and an entity (what is stored,
knowing its keys). Entities answer GETs as they are stored.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from planhub.auth.claims import PortalRole
from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key

MAX_GROUP_MEMBERS = 10_000
# One transaction: the tokens, their event, and the checks of the portal and the LO.
MAX_CREDIT_TOKENS_PER_CALL = 97

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
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


class Portal(Entity):
    entity_type: ClassVar[str] = "portal"

    id: str
    name: str
    title: str | None = None

    def keys(self) -> Key:
        return keys.portal(self.id)


# --- users ---------------------------------------------------------------------------


class UserBody(Body):
    email: Email
    name: Title
    roles: list[PortalRole] = Field(default_factory=list)
    managers: UniqueIds = Field(default_factory=list)


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


# --- groups --------------------------------------------------------------------------


class GroupBody(Body):
    title: Title
    members: Annotated[UniqueIds, Field(max_length=MAX_GROUP_MEMBERS)] = Field(default_factory=list)


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


class GroupView(BaseModel):
    portal_id: str
    id: str
    title: str
    members: list[str]


# --- learning objects ------------------------------------------------------------------


class LoType(StrEnum):
    LEARNING_PATHWAY = "learning_pathway"
    COURSE = "course"
    MODULE = "module"
    TEXT = "text"
    RESOURCE = "resource"
    IFRAME = "iframe"
    LINK = "link"
    VIDEO = "video"
    DOCUMENT = "document"
    QUIZ = "quiz"
    SCORM = "scorm"
    TINCAN = "tincan"
    ASSIGNMENT = "assignment"
    INTERACTIVE = "interactive"


CONTAINER_TYPES = frozenset({LoType.LEARNING_PATHWAY, LoType.COURSE, LoType.MODULE})
SIMPLE_ITEM_TYPES = frozenset({LoType.TEXT, LoType.RESOURCE, LoType.IFRAME, LoType.LINK, LoType.VIDEO, LoType.DOCUMENT})
COMPLEX_ITEM_TYPES = frozenset({LoType.QUIZ, LoType.SCORM, LoType.TINCAN, LoType.ASSIGNMENT, LoType.INTERACTIVE})


class Price(BaseModel):
    """An amount in minor units of the currency (4900 USD = $49.00)."""

    model_config = ConfigDict(extra="forbid")

    amount: int = Field(ge=0)
    currency: Currency


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


class LearningObject(Entity):
    entity_type: ClassVar[str] = "learning_object"

    id: str
    portal: str
    type: LoType
    title: str
    children: list[str] = Field(default_factory=list)
    assessors: list[str] = Field(default_factory=list)
    price: Price | None = None
    marketplace: bool = False

    def keys(self) -> Key:
        return keys.learning_object(self.id)

    @property
    def is_container(self) -> bool:
        return self.type in CONTAINER_TYPES

    @property
    def is_simple_item(self) -> bool:
        return self.type in SIMPLE_ITEM_TYPES

    def available_in(self, portal_id: str) -> bool:
        """An LO belongs to its portal; marketplace LOs are available in every portal."""
        return self.portal == portal_id or self.marketplace


# --- companies and products -------------------------------------------------------------


def fingerprint(api_key: str) -> str:
    """Stored instead of the key itself: a leaked table does not leak usable keys."""
    return hashlib.sha256(api_key.encode()).hexdigest()


class CompanyBody(Body):
    name: Title
    # API Gateway accepts keys of 20 to 128 characters (they are registered on its usage plan).
    api_keys: Annotated[list[Annotated[str, StringConstraints(min_length=20, max_length=128)]], Field(max_length=20)]


class Company(Entity):
    entity_type: ClassVar[str] = "company"

    id: str
    name: str
    api_key_fingerprints: list[str] = Field(default_factory=list)

    def keys(self) -> Key:
        return keys.company(self.id)

    def accepts(self, api_key: str | None) -> bool:
        return api_key is not None and fingerprint(api_key) in self.api_key_fingerprints


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


class Product(Entity):
    entity_type: ClassVar[str] = "product"

    id: str
    company: str
    name: str
    price: float
    currency: str

    def keys(self) -> Key:
        return keys.product(self.id)


# --- commercial API clients ------------------------------------------------------------


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


class ClientBody(Body):
    name: Title
    policy: ClientPolicy = Field(default_factory=ClientPolicy)


class Client(Entity):
    """A commercial API client. `policy.credits.balance` is the live balance."""

    entity_type: ClassVar[str] = "client"

    id: str
    name: str
    policy: ClientPolicy = Field(default_factory=ClientPolicy)

    def keys(self) -> Key:
        return keys.client(self.id)


class ClientUsage(BaseModel):
    period: str
    activities: int = 0
    creates: int = 0
    completions: int = 0
    credits_consumed: int = 0


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


class CreditTokensBody(Body):
    lo_id: Identifier
    count: int = Field(ge=1, le=MAX_CREDIT_TOKENS_PER_CALL)


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
