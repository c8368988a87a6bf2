"""Catalog use cases (staff only): upsert and read portals, users, groups, learning objects,
companies, products, clients, coupons and credit tokens.

Every write goes out as one transaction together with its domain event, so the bus sees
exactly the changes the table holds. A group's membership is the exception in size only:
it is written in transactions of at most 99 member changes, each with its own
"group members changed" event, so a group of 10,000 members works within DynamoDB's limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from planhub import events, permissions
from planhub.auth.claims import Claims
from planhub.catalog.models import (
    AuditEntry,
    AuditPage,
    ClientBody,
    ClientView,
    CompanyBody,
    CouponBody,
    CreditTokensBody,
    CreditTokensIssued,
    CreditTopUpBody,
    GroupBody,
    GroupView,
    LearningObjectBody,
    PortalBody,
    ProductBody,
    UserBody,
)
from planhub.catalog.repository import CatalogRepository
from planhub.errors import ConcurrentModification, Conflict, InvalidInput, NotFound
from planhub.events import DomainEvent, EventType
from planhub.ids import new_token
from planhub.observability import logger
from planhub.records.client import Client, ClientUsage
from planhub.records.company import Company, Product, fingerprint
from planhub.records.coupon import Coupon
from planhub.records.credit_token import CreditToken
from planhub.records.group import Group, GroupMember
from planhub.records.learning_object import LearningObject
from planhub.records.portal import Portal
from planhub.records.user import User
from planhub.settings import TableEnvironment, UsagePlanEnvironment
from planhub.storage import (
    Check,
    ConditionFailed,
    Delete,
    Expression,
    Put,
    Table,
    TransactionCanceled,
    Update,
    Write,
    exists,
    not_exists,
    races,
)
from planhub.storage import keys as table_keys
from planhub.storage.api_keys import ApiKeyTaken, UsagePlanKeys
from planhub.storage.keys import Key
from planhub.storage.table import TRANSACTION_LIMIT

MEMBER_CHANGES_PER_TRANSACTION = TRANSACTION_LIMIT - 1  # and the event that announces them
SAVE_ATTEMPTS = 3  # a save built on the stored record retries when that record changed meanwhile
CLIENT_SAVE_ATTEMPTS = 10  # each retry means a consumption or top-up landed meanwhile: it hands back the new balance


def current_period(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m")


class CatalogService:
    def __init__(self, table: Table, usage_plan_keys: UsagePlanKeys | None = None) -> None:
        self.table = table
        self.repository = CatalogRepository(table)
        self.usage_plan_keys = usage_plan_keys

    @classmethod
    def from_environment(cls) -> CatalogService:
        usage_plan = UsagePlanEnvironment.load().usage_plan_name
        return cls(Table(TableEnvironment.load().table_name), UsagePlanKeys(usage_plan) if usage_plan else None)

    def _save(
        self,
        entity_item: dict[str, Any],
        event: DomainEvent,
        *more: Write,
        requires: Requirement | None = None,
        condition: Expression | None = None,
    ) -> None:
        """Writes the record and its event together; `requires` must hold at that moment.

        A record saved under a `condition` that fails raises `StoredRecordDiffers` with the
        record as stored, which the caller builds its next attempt from.
        """
        writes: list[Write] = [Put(entity_item, condition), *more, events.record(event)]
        if requires is not None:
            writes.append(Check(requires.key, exists()))
        try:
            self.table.transact(writes)
        except TransactionCanceled as canceled:
            failed = canceled.failed_conditions()
            if requires is not None and len(writes) - 1 in failed:
                raise NotFound(requires.missing) from canceled
            if condition is not None and 0 in failed:
                raise StoredRecordDiffers(canceled.reasons[0].item) from canceled
            raise

    # --- portals ------------------------------------------------------------------------

    def put_portal(self, claims: Claims, portal_id: str, body: PortalBody) -> Portal:
        """Creates or replaces the portal and its name alias in one transaction.

        The first attempt assumes the name is unchanged (or the portal new), which the
        portal's own condition confirms; only a rename fails it, handing back the stored
        portal, and the second attempt also frees the old name. So no read comes first.
        """
        permissions.require_staff(claims)
        portal = Portal(id=portal_id, name=body.name, title=body.title)
        event = DomainEvent.of(EventType.PORTAL_SAVED, portal.model_dump(mode="json"), actor=claims.sub)
        alias = Put(
            {**table_keys.portal_name(portal.name), "entity": "portal_name", "portal_id": portal_id},
            # A name belongs to one portal: taking another portal's name is a conflict.
            Expression("attribute_not_exists(PK) OR portal_id = :id", values={":id": portal_id}),
        )
        stored_name: str | None = None  # unknown until the portal's condition tells
        for attempt in races.attempts(SAVE_ATTEMPTS):
            if stored_name is None:
                condition = Expression(
                    "attribute_not_exists(PK) OR #name = :name", {"#name": "name"}, {":name": body.name}
                )
            else:
                condition = Expression("#name = :stored", {"#name": "name"}, {":stored": stored_name})
            writes: list[Write] = [alias]
            if stored_name is not None and stored_name.lower() != portal.name.lower():
                writes.append(Delete(table_keys.portal_name(stored_name)))
            try:
                self.table.transact([Put(portal.to_item(), condition), *writes, events.record(event)])
                return portal
            except TransactionCanceled as canceled:
                failed = canceled.failed_conditions()
                if 1 in failed:
                    raise Conflict(f"The portal name {portal.name!r} belongs to another portal") from canceled
                if 0 not in failed:
                    raise
                stored = canceled.reasons[0].item
                stored_name = stored["name"] if stored else None
                attempt.lost("portal stored under another name; saving again from it", canceled, portal_id=portal_id)
        raise ConcurrentModification("The portal changed while it was being saved; try again")

    def get_portal(self, claims: Claims, portal_id: str) -> Portal:
        permissions.require_staff(claims)
        return self.repository.portal_by_id(portal_id)

    # --- users --------------------------------------------------------------------------

    def put_user(self, claims: Claims, portal_id: str, user_id: str, body: UserBody) -> User:
        permissions.require_staff(claims)
        if user_id in body.managers:
            raise InvalidInput("managers: a user cannot be their own manager")
        user = User(portal_id=portal_id, id=user_id, **body.model_dump())
        data = events.bounded(user.model_dump(mode="json"), "managers")
        event = DomainEvent.of(EventType.USER_SAVED, data, actor=claims.sub)
        self._save(user.to_item(), event, requires=_portal(portal_id))
        return user

    def get_user(self, claims: Claims, portal_id: str, user_id: str) -> User:
        permissions.require_staff(claims)
        return self.repository.user(portal_id, user_id)

    # --- groups -------------------------------------------------------------------------

    def put_group(self, claims: Claims, portal_id: str, group_id: str, body: GroupBody) -> GroupView:
        """Replaces the group: its title at once, its membership by difference.

        The group item, its event and the first member changes are one transaction; a
        membership too large for it continues in transactions of 99 changes each.
        """
        permissions.require_staff(claims)
        group = Group(portal_id=portal_id, id=group_id, title=body.title)
        current = set(self.repository.group_member_ids(portal_id, group_id))
        wanted = set(body.members)
        changes: list[tuple[str, str]] = [("add", m) for m in body.members if m not in current]
        changes += [("remove", m) for m in sorted(current - wanted)]
        # Beside the first changes: the group, its event, the portal check and their own event.
        first = TRANSACTION_LIMIT - 4
        self._save(
            group.to_item(),
            DomainEvent.of(EventType.GROUP_SAVED, group.model_dump(mode="json"), actor=claims.sub),
            *self._member_writes(claims, group, changes[:first]),
            requires=_portal(portal_id),
        )
        for start in range(first, len(changes), MEMBER_CHANGES_PER_TRANSACTION):
            self.table.transact(
                self._member_writes(claims, group, changes[start : start + MEMBER_CHANGES_PER_TRANSACTION])
            )
        return GroupView(portal_id=portal_id, id=group_id, title=group.title, members=list(body.members))

    def _member_writes(self, claims: Claims, group: Group, changes: list[tuple[str, str]]) -> list[Write]:
        """The member items of `changes` and the event announcing them (nothing for no change)."""
        if not changes:
            return []
        writes: list[Write] = []
        for change, user_id in changes:
            member = GroupMember(portal_id=group.portal_id, group_id=group.id, user_id=user_id)
            writes.append(Put(member.to_item()) if change == "add" else Delete(member.keys()))
        event = DomainEvent.of(
            EventType.GROUP_MEMBERS_CHANGED,
            {
                "portal_id": group.portal_id,
                "group_id": group.id,
                "added": [u for c, u in changes if c == "add"],
                "removed": [u for c, u in changes if c == "remove"],
            },
            actor=claims.sub,
        )
        return [*writes, events.record(event)]

    def get_group(self, claims: Claims, portal_id: str, group_id: str) -> GroupView:
        permissions.require_staff(claims)
        group, members = self.repository.group_with_member_ids(portal_id, group_id)
        return GroupView(portal_id=portal_id, id=group_id, title=group.title, members=members)

    # --- learning objects -----------------------------------------------------------------

    def put_learning_object(self, claims: Claims, lo_id: str, body: LearningObjectBody) -> LearningObject:
        permissions.require_staff(claims)
        if lo_id in body.children:
            raise InvalidInput("children: a learning object cannot contain itself")
        lo = LearningObject(id=lo_id, **body.model_dump())
        data = events.bounded(lo.model_dump(mode="json"), "children", "assessors")
        event = DomainEvent.of(EventType.LEARNING_OBJECT_SAVED, data, actor=claims.sub)
        self._save(lo.to_item(), event, requires=_portal(body.portal))
        return lo

    def get_learning_object(self, claims: Claims, lo_id: str) -> LearningObject:
        permissions.require_staff(claims)
        return self.repository.learning_object(lo_id)

    # --- companies and products -------------------------------------------------------------

    def put_company(self, claims: Claims, company_id: str, body: CompanyBody) -> Company:
        permissions.require_staff(claims)
        company = Company(id=company_id, name=body.name, api_key_fingerprints=[fingerprint(k) for k in body.api_keys])
        event = DomainEvent.of(EventType.COMPANY_SAVED, {"id": company_id, "name": company.name}, actor=claims.sub)
        if self.usage_plan_keys is None:
            self._save(company.to_item(), event)
            return company
        # New keys before the record, so a key another company holds (409) changes nothing
        # here; dropped keys after it. A failure between is a 500 a retried PUT converges from.
        try:
            registered = self.usage_plan_keys.register(company_id, body.api_keys)
        except ApiKeyTaken as taken:
            raise Conflict(
                f"The API key with fingerprint {fingerprint(taken.api_key)} belongs to another company"
            ) from taken
        self._save(company.to_item(), event)
        self.usage_plan_keys.drop_all_but(company_id, body.api_keys, registered)
        return company

    def get_company(self, claims: Claims, company_id: str) -> Company:
        permissions.require_staff(claims)
        return self.repository.company(company_id)

    def put_product(self, claims: Claims, product_id: str, body: ProductBody) -> Product:
        permissions.require_staff(claims)
        product = Product(id=product_id, **body.model_dump())
        event = DomainEvent.of(EventType.PRODUCT_SAVED, product.model_dump(mode="json"), actor=claims.sub)
        self._save(product.to_item(), event, requires=_company(body.company))
        return product

    def get_product(self, claims: Claims, product_id: str) -> Product:
        permissions.require_staff(claims)
        return self.repository.product(product_id)

    # --- clients --------------------------------------------------------------------------

    def put_client(self, claims: Claims, client_id: str, body: ClientBody) -> ClientView:
        """Creates a client with the body's opening balance, or replaces an existing client's
        name and policy keeping its live balance (docs/product.md "Catalog").

        The first attempt assumes a new client; when one exists, its failed condition hands
        back the stored client. Metered before and after (the common case), the next attempt
        updates the name and terms in place and never touches the balance, so consumption
        and top-ups landing meanwhile neither fail it nor are overwritten. When credits come
        or go, the client is written whole with the stored balance (kept aside as
        `retained_balance` while no credits apply), on the condition that the balance is
        still the one read; a consumption or top-up in between fails it and hands back the
        newer balance.
        """
        permissions.require_staff(claims)
        stored: Client | None = None
        for attempt in races.attempts(CLIENT_SAVE_ATTEMPTS):
            try:
                if stored is not None and _keeps_credits(stored, body):
                    self._update_client_terms(claims, stored, body)
                else:
                    condition, client = (
                        (not_exists(), Client(id=client_id, name=body.name, policy=body.policy))
                        if stored is None
                        else _client_replacing(stored, body)
                    )
                    event = DomainEvent.of(EventType.CLIENT_SAVED, client.model_dump(mode="json"), actor=claims.sub)
                    self._save(client.to_item(), event, condition=condition)
                return self._client_view(client_id)
            except StoredRecordDiffers as differs:
                stored = Client.from_item(differs.stored) if differs.stored else None
                attempt.lost("client stored otherwise; saving again on top of it", differs, client_id=client_id)
        raise ConcurrentModification("The client's balance kept changing while it was being saved; try again")

    def _update_client_terms(self, claims: Claims, stored: Client, body: ClientBody) -> None:
        """Name, rate limit, quota and credit prices in place; the live balance untouched."""
        credits = body.policy.credits
        assert credits is not None and stored.policy.credits is not None
        sets = ["#name = :name", "policy.credits.per_create = :per_create", "policy.credits.per_completion = :per_done"]
        values: dict[str, Any] = {
            ":name": body.name,
            ":per_create": credits.per_create,
            ":per_done": credits.per_completion,
            ":map": "M",
        }
        removes = []
        for part in ("rate_limit", "quota"):
            terms = getattr(body.policy, part)
            if terms is None:
                removes.append(f"policy.{part}")
            else:
                sets.append(f"policy.{part} = :{part}")
                values[f":{part}"] = terms.model_dump(mode="json")
        update = Update(
            table_keys.client(stored.id),
            Expression(
                "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else ""),
                names={"#name": "name"},
                values=values,
            ),
            Expression("attribute_type(policy.credits, :map) AND attribute_not_exists(retained_balance)"),
        )
        kept = body.policy.model_copy(update={"credits": credits.model_copy(update={"balance": None})})
        data = {"id": stored.id, "name": body.name, "policy": kept.model_dump(mode="json"), "balance_kept": True}
        try:
            self.table.transact([update, events.record(DomainEvent.of(EventType.CLIENT_SAVED, data, actor=claims.sub))])
        except TransactionCanceled as canceled:
            if 0 not in canceled.failed_conditions():
                raise
            raise StoredRecordDiffers(canceled.reasons[0].item) from canceled

    def get_client(self, claims: Claims, client_id: str) -> ClientView:
        permissions.require_staff(claims)
        return self._client_view(client_id)

    def _client_view(self, client_id: str) -> ClientView:
        period = current_period()
        client, usage = self.repository.client_with_usage(client_id, period)
        credits = client.policy.credits
        return ClientView(
            id=client.id,
            name=client.name,
            policy=client.policy,
            balance=credits.balance if credits else None,
            usage=usage or ClientUsage(period=period),
        )

    def top_up_credits(self, claims: Claims, client_id: str, body: CreditTopUpBody) -> ClientView:
        """Adds to the live balance in one atomic update: no read-modify-write race."""
        permissions.require_staff(claims)
        event = DomainEvent.of(
            EventType.CLIENT_CREDITS_TOPPED_UP, {"client_id": client_id, "amount": body.amount}, actor=claims.sub
        )
        top_up = Update(
            table_keys.client(client_id),
            Expression(
                "SET policy.credits.balance = policy.credits.balance + :amount", values={":amount": body.amount}
            ),
            Expression("attribute_exists(PK) AND attribute_type(policy.credits, :map)", values={":map": "M"}),
        )
        try:
            self.table.transact([top_up, events.record(event)])
        except TransactionCanceled as canceled:
            if 0 not in canceled.failed_conditions():
                raise
            if canceled.reasons[0].item is None:
                raise NotFound(f"Client {client_id} not found") from canceled
            raise Conflict("The client has no credits policy to top up; set one with PUT first") from canceled
        return self._client_view(client_id)

    # --- coupons and credit tokens -------------------------------------------------------------

    def put_coupon(self, claims: Claims, code: str, body: CouponBody) -> Coupon:
        """Creates or replaces the coupon, keeping the uses its redemptions counted.

        The first attempt assumes a new coupon (no uses); when it exists, the failed
        condition hands back the stored uses and the second attempt keeps them, on the
        condition that no redemption landed in between. So no read comes first.
        """
        permissions.require_staff(claims)
        coupon = Coupon(code=code, **body.model_dump())
        condition = not_exists()
        for attempt in races.attempts(SAVE_ATTEMPTS):
            data = events.bounded(coupon.model_dump(mode="json"), "lo_ids")
            event = DomainEvent.of(EventType.COUPON_SAVED, data, actor=claims.sub)
            try:
                self._save(coupon.to_item(), event, requires=_portal(body.portal), condition=condition)
                return coupon
            except StoredRecordDiffers as differs:
                uses = Coupon.from_item(differs.stored).uses if differs.stored else 0
                coupon = coupon.model_copy(update={"uses": uses})
                condition = Expression("uses = :uses", values={":uses": uses}) if differs.stored else not_exists()
                attempt.lost("coupon stored with other uses; saving again keeping them", differs, code=code)
        raise ConcurrentModification("The coupon was redeemed while it was being saved; try again")

    def get_coupon(self, claims: Claims, code: str) -> Coupon:
        permissions.require_staff(claims)
        return self.repository.coupon(code)

    def issue_credit_tokens(self, claims: Claims, portal_id: str, body: CreditTokensBody) -> CreditTokensIssued:
        """Issues all the tokens or none, in one transaction that also checks the portal
        exists and the LO is available in it (no read first)."""
        permissions.require_staff(claims)
        tokens = [CreditToken(token=new_token(), portal_id=portal_id, lo_id=body.lo_id) for _ in range(body.count)]
        # The event counts the tokens but never carries them: tokens are bearer credentials.
        event = DomainEvent.of(
            EventType.CREDIT_TOKENS_ISSUED,
            {"portal_id": portal_id, "lo_id": body.lo_id, "count": body.count},
            actor=claims.sub,
        )
        portal_check = Check(table_keys.portal(portal_id), exists())
        lo_check = Check(
            table_keys.learning_object(body.lo_id),
            # LearningObject.available_in, as a condition.
            Expression(
                "attribute_exists(PK) AND (#portal = :portal OR marketplace = :marketplace)",
                {"#portal": "portal"},
                {":portal": portal_id, ":marketplace": True},
            ),
        )
        try:
            self.table.transact(
                [portal_check, lo_check, *(Put(t.to_item(), not_exists()) for t in tokens), events.record(event)]
            )
        except TransactionCanceled as canceled:
            failed = canceled.failed_conditions()
            if 0 in failed:
                raise NotFound(f"Portal {portal_id} not found") from canceled
            if 1 in failed and canceled.reasons[1].item is None:
                raise NotFound(f"Learning object {body.lo_id} not found") from canceled
            if 1 in failed:
                raise NotFound(f"Learning object {body.lo_id} is not available in portal {portal_id}") from canceled
            raise
        return CreditTokensIssued(tokens=[t.token for t in tokens])

    def record_audit(self, event: DomainEvent) -> None:
        """Idempotent: a redelivered event finds its entry already there and changes nothing."""
        try:
            self.table.put(audit_item(event), not_exists())
        except ConditionFailed:
            logger.info("audit entry already recorded", extra={"event_id": event.id})

    # --- audit trail ------------------------------------------------------------------------

    def list_audit(self, claims: Claims, day: str, limit: int, cursor: str | None) -> AuditPage:
        permissions.require_staff(claims)
        page = self.table.query(table_keys.catalog_audit_pk(day), limit=limit, cursor=cursor, newest_first=True)
        return AuditPage(data=[AuditEntry.model_validate(i) for i in page.items], cursor=page.cursor)


def _keeps_credits(stored: Client, body: ClientBody) -> bool:
    """Metered by credits before and after: the terms change in place, the balance is not touched."""
    return stored.policy.credits is not None and body.policy.credits is not None and stored.retained_balance is None


def _client_replacing(stored: Client, body: ClientBody) -> tuple[Expression, Client]:
    """The client `body` describes, with `stored`'s live balance, and the condition that the
    stored balance is still the one read (no consumption or top-up in between)."""
    live = stored.policy.credits.balance if stored.policy.credits else stored.retained_balance
    terms = ["attribute_exists(PK)"]
    values: dict[str, Any] = {}
    if stored.policy.credits:
        terms.append("policy.credits.balance = :balance")
        values[":balance"] = stored.policy.credits.balance
    else:
        terms.append("attribute_not_exists(policy.credits)")
    if stored.retained_balance is None:
        terms.append("attribute_not_exists(retained_balance)")
    else:
        terms.append("retained_balance = :retained")
        values[":retained"] = stored.retained_balance
    credits = body.policy.credits
    if credits is not None and live is not None:
        credits = credits.model_copy(update={"balance": live})
    client = Client(
        id=stored.id,
        name=body.name,
        policy=body.policy.model_copy(update={"credits": credits}),
        retained_balance=live if credits is None else None,
    )
    return Expression(" AND ".join(terms), values=values), client


class StoredRecordDiffers(Exception):
    """A save's condition on the stored record failed; `stored` is that record (None: absent)."""

    def __init__(self, stored: dict[str, Any] | None) -> None:
        super().__init__("the stored record differs from what the save assumed")
        self.stored = stored


@dataclass(frozen=True)
class Requirement:
    """A record that must exist when a write lands (checked inside the transaction)."""

    key: Key
    missing: str


def _portal(portal_id: str) -> Requirement:
    return Requirement(table_keys.portal(portal_id), f"Portal {portal_id} not found")


def _company(company_id: str) -> Requirement:
    return Requirement(table_keys.company(company_id), f"Company {company_id} not found")


def audit_item(event: DomainEvent) -> dict[str, Any]:
    """The audit-trail item recording a catalog event (one per event id)."""
    return {
        **table_keys.catalog_audit(event.occurred_at[:10], event.occurred_at, event.id),
        "entity": "audit",
        "event_id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "actor": event.actor,
        "data": event.data,
    }
