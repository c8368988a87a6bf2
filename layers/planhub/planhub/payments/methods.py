"""Payment methods (docs/product.md "Billing"): a Stripe customer holding the caller's card.

Section 7's conventions: the caller acts for their token's company, proven by one of its
API keys in `X-Share-Api-Key`; answers in extended JSON (`_id`, references as `{"$oid"}`,
times as `{"$date"}`); soft deletes; lists with `size`/`page`/`sort`. A method is its user's
alone: anyone else (another user, another company) gets 404, so ids leak nothing.

The contract with subscriptions (docs/decisions/payments.md): `use(...)` and `release(...)`
are the writes billing puts in its own transactions to record which subscriptions pay with a
method (`in_use_by`, a string set); DELETE is conditioned on that set being absent (409).
The newest live method is the user's default (`default_method`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from planhub import events
from planhub.auth.claims import Claims, CompanyMembership
from planhub.errors import Conflict, Forbidden, InvalidInput, NotFound
from planhub.events import DomainEvent, EventType
from planhub.extended_json import DateRef, ObjectRef, date_ref, object_ref
from planhub.ids import new_object_id
from planhub.payments.gateway import PaymentGateway, StripeGateway
from planhub.records.company import Company
from planhub.settings import TableEnvironment
from planhub.storage import Expression, Put, Table, TransactionCanceled, Update, not_exists
from planhub.storage import keys as table_keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key

INDEX = "GSI1"
MAX_PAGE_OFFSET = 10_000  # page * size: a list is one Query of at most this many small items


class Method(StrEnum):
    STRIPE = "stripe"


def _now() -> datetime:
    return datetime.now(UTC)


def iso_ms(moment: datetime) -> str:
    """Fixed-width UTC text: its order is its time order (the index sorts by it)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class StoredCard(BaseModel):
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class PaymentMethod(Entity):
    """A stored payment method; `in_use_by` holds the ids of the subscriptions paying with it."""

    entity_type: ClassVar[str] = "payment_method"

    id: str
    user_id: str
    company_id: str
    method: Method = Method.STRIPE
    name: str = "Stripe"
    customer_id: str
    card: StoredCard
    created: str
    modified: str
    deleted: bool = False
    deleted_at: str | None = None
    in_use_by: list[str] | None = None  # a string set in the table; absent when empty

    def keys(self) -> Key:
        return table_keys.payment_method(self.id)

    def index_keys(self) -> dict[str, str]:
        if self.deleted:
            return {}
        return {
            "GSI1PK": table_keys.user_payment_methods_index(self.company_id, self.user_id),
            "GSI1SK": f"{self.created}#{self.id}",
        }

    def to_item(self) -> dict[str, Any]:
        item = super().to_item()
        if self.in_use_by:
            item["in_use_by"] = set(self.in_use_by)
        else:
            item.pop("in_use_by", None)
        return item


# --- the contract with subscriptions ---------------------------------------------------------


def use(method_id: str, subscription_id: str) -> Update:
    """Records that `subscription_id` pays with the method; refused (ConditionFailed in the
    caller's transaction) when the method does not exist or is deleted."""
    return Update(
        table_keys.payment_method(method_id),
        Expression("ADD in_use_by :subscription", values={":subscription": {subscription_id}}),
        Expression("attribute_exists(PK) AND deleted = :false", values={":false": False}),
    )


def release(method_id: str, subscription_id: str) -> Update:
    """Records that `subscription_id` no longer pays with the method (cancelled, or switched)."""
    return Update(
        table_keys.payment_method(method_id),
        Expression("DELETE in_use_by :subscription", values={":subscription": {subscription_id}}),
        Expression("attribute_exists(PK)"),
    )


def default_method(table: Table, company_id: str, user_id: str) -> PaymentMethod | None:
    """The user's newest live method in the company: one Query of one item."""
    page = table.query(
        table_keys.user_payment_methods_index(company_id, user_id), index=INDEX, newest_first=True, limit=1
    )
    return PaymentMethod.from_item(page.items[0]) if page.items else None


# --- requests and answers ------------------------------------------------------------------


class PaymentMethodBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Method = Field(description="Only `stripe`")
    token: Annotated[str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True)] = Field(
        description="A Stripe card token (`tok_...`)"
    )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class CardDocument(BaseModel):
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class PaymentMethodDocument(BaseModel):
    """A payment method as answered: never the card's number, only its brand, last 4 and expiry."""

    model_config = ConfigDict(populate_by_name=True)

    id: ObjectRef = Field(alias="_id", serialization_alias="_id")
    user: ObjectRef
    company: ObjectRef
    method: Method
    name: str
    customer_id: str
    card: CardDocument
    default: bool = Field(description="The user's newest live method is their default")
    created: DateRef
    modified: DateRef
    deleted: bool

    @classmethod
    def of(cls, method: PaymentMethod, *, default: bool) -> Self:
        return cls.model_validate(
            {
                "_id": object_ref(method.id),
                "user": object_ref(method.user_id),
                "company": object_ref(method.company_id),
                "method": method.method,
                "name": method.name,
                "customer_id": method.customer_id,
                "card": method.card.model_dump(),
                "default": default,
                "created": date_ref(_instant(method.created)),
                "modified": date_ref(_instant(method.modified)),
                "deleted": method.deleted,
            }
        )


# --- who may do what -------------------------------------------------------------------------


def _membership(claims: Claims) -> CompanyMembership:
    if claims.company is None:
        raise Forbidden("Payment methods need a token that names your company")
    return claims.company


def _require_api_key(company: Company | None, api_key: str | None) -> None:
    if company is None or not company.accepts(api_key):
        raise Forbidden("Invalid or missing X-Share-Api-Key for your company")


def _visible(claims: Claims, company_id: str, item: dict[str, Any] | None, method_id: str) -> PaymentMethod:
    method = PaymentMethod.from_item(item) if item is not None else None
    if method is None or method.deleted or method.company_id != company_id or method.user_id != claims.sub:
        raise NotFound(f"Payment method {method_id} not found")
    return method


# --- the service ------------------------------------------------------------------------------


class PaymentMethodService:
    def __init__(self, table: Table, gateway: PaymentGateway, clock: Callable[[], datetime] = _now) -> None:
        self.table = table
        self.gateway = gateway
        self.clock = clock

    @classmethod
    def from_environment(cls) -> PaymentMethodService:
        return cls(Table(TableEnvironment.load().table_name), StripeGateway.from_environment())

    def create(self, claims: Claims, api_key: str | None, body: PaymentMethodBody) -> PaymentMethodDocument:
        """Attaches the card to a new Stripe customer (402 when Stripe refuses it), then stores it."""
        company_id = _membership(claims).id
        company_item = self.table.get(table_keys.company(company_id))
        _require_api_key(Company.from_item(company_item) if company_item else None, api_key)
        method_id = new_object_id()
        customer = self.gateway.create_customer(
            token=body.token, email=claims.email, idempotency_key=f"payment-method-{method_id}"
        )
        now = iso_ms(self.clock())
        method = PaymentMethod(
            id=method_id,
            user_id=claims.sub,
            company_id=company_id,
            method=body.method,
            customer_id=customer.id,
            card=StoredCard(
                brand=customer.card.brand,
                last4=customer.card.last4,
                exp_month=customer.card.exp_month,
                exp_year=customer.card.exp_year,
            ),
            created=now,
            modified=now,
        )
        summary = {
            "id": method.id,
            "user_id": method.user_id,
            "company_id": company_id,
            "card": method.card.model_dump(),
        }
        self.table.transact(
            [
                Put(method.to_item(), not_exists()),
                events.record(DomainEvent.of(EventType.PAYMENT_METHOD_CREATED, summary, actor=claims.sub)),
            ]
        )
        return PaymentMethodDocument.of(method, default=True)

    def get(self, claims: Claims, api_key: str | None, method_id: str) -> PaymentMethodDocument:
        company_id = _membership(claims).id
        found = self.table.found([table_keys.company(company_id), table_keys.payment_method(method_id)])
        company_item = found.get(table_keys.company(company_id))
        _require_api_key(Company.from_item(company_item) if company_item else None, api_key)
        method = _visible(claims, company_id, found.get(table_keys.payment_method(method_id)), method_id)
        default = default_method(self.table, company_id, claims.sub)
        return PaymentMethodDocument.of(method, default=default is not None and default.id == method.id)

    def list(
        self, claims: Claims, api_key: str | None, *, size: int, page: int, sorting: str
    ) -> list[PaymentMethodDocument]:
        """The caller's live methods, newest first by default (`sort`: `created` or `-created`)."""
        if sorting not in ("created", "-created"):
            raise InvalidInput("sort: created or -created")
        page = max(page, 1)
        if page * size > MAX_PAGE_OFFSET:
            raise InvalidInput(f"page: at most {MAX_PAGE_OFFSET} methods are listed (page x size)")
        company_id = _membership(claims).id
        company_item = self.table.get(table_keys.company(company_id))
        _require_api_key(Company.from_item(company_item) if company_item else None, api_key)
        newest_first = sorting == "-created"
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        pk = table_keys.user_payment_methods_index(company_id, claims.sub)
        while len(items) < page * size:
            chunk = self.table.query(
                pk, index=INDEX, newest_first=newest_first, limit=page * size - len(items), cursor=cursor
            )
            items.extend(chunk.items)
            cursor = chunk.cursor
            if cursor is None:
                break
        methods = [PaymentMethod.from_item(item) for item in items]
        if newest_first and page == 1:
            newest = methods[0].id if methods else None
        else:
            found = default_method(self.table, company_id, claims.sub) if methods else None
            newest = found.id if found else None
        return [PaymentMethodDocument.of(m, default=m.id == newest) for m in methods[(page - 1) * size :]]

    def delete(self, claims: Claims, api_key: str | None, method_id: str) -> None:
        """Soft: `deleted` set and the method out of the user's list; 409 while a subscription pays with it."""
        company_id = _membership(claims).id
        found = self.table.found([table_keys.company(company_id), table_keys.payment_method(method_id)])
        company_item = found.get(table_keys.company(company_id))
        _require_api_key(Company.from_item(company_item) if company_item else None, api_key)
        method = _visible(claims, company_id, found.get(table_keys.payment_method(method_id)), method_id)
        now = iso_ms(self.clock())
        change = Update(
            method.keys(),
            Expression(
                "SET deleted = :true, deleted_at = :now, modified = :now REMOVE GSI1PK, GSI1SK",
                values={":true": True, ":now": now},
            ),
            Expression(
                "attribute_exists(PK) AND deleted = :false AND attribute_not_exists(in_use_by)",
                values={":false": False},
            ),
        )
        summary = {"id": method.id, "user_id": method.user_id, "company_id": company_id}
        try:
            self.table.transact(
                [change, events.record(DomainEvent.of(EventType.PAYMENT_METHOD_DELETED, summary, actor=claims.sub))]
            )
        except TransactionCanceled as canceled:
            if canceled.is_conflict or not canceled.reasons or canceled.reasons[0].code != "ConditionalCheckFailed":
                raise
            stored = canceled.reasons[0].item
            if stored is not None and stored.get("in_use_by") and not stored.get("deleted"):
                raise Conflict(
                    f"Payment method {method_id} pays for an active subscription: change the subscription's "
                    "payment method or stop it first"
                ) from canceled
            raise NotFound(f"Payment method {method_id} not found") from canceled
