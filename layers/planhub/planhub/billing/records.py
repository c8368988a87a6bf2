"""Reading invoices and payments: one BatchGetItem for one (with the caller's company, for
the API key), one GSI1 Query for a user's list. The payer and company admins see them;
anyone else is told they are not there."""

from __future__ import annotations

from typing import Any

from planhub.auth.claims import Claims
from planhub.billing import permissions
from planhub.billing.models import (
    Invoice,
    InvoiceDocument,
    InvoiceStatus,
    Order,
    OrderDocument,
    Payment,
    PaymentDocument,
)
from planhub.billing.repository import BillingRepository
from planhub.errors import InvalidInput, NotFound
from planhub.settings import TableEnvironment
from planhub.storage import Expression, Table
from planhub.storage import keys as table_keys

SORTS = {"created": False, "-created": True}


class BillingRecords:
    def __init__(self, table: Table) -> None:
        self.repository = BillingRepository(table)

    @classmethod
    def from_environment(cls) -> BillingRecords:
        return cls(Table(TableEnvironment.load().table_name))

    def invoice(self, claims: Claims, api_key: str | None, invoice_id: str) -> InvoiceDocument:
        item = self._visible(claims, api_key, table_keys.invoice(invoice_id), f"Invoice {invoice_id} not found")
        return InvoiceDocument.of(Invoice.from_item(item))

    def payment(self, claims: Claims, api_key: str | None, payment_id: str) -> PaymentDocument:
        item = self._visible(claims, api_key, table_keys.payment(payment_id), f"Payment {payment_id} not found")
        return PaymentDocument.of(Payment.from_item(item), claims.sub)

    def invoices(
        self,
        claims: Claims,
        api_key: str | None,
        *,
        subscription: str | None,
        status: InvoiceStatus | None,
        user_id: str | None,
        size: int,
        page: int,
        sort: str,
    ) -> list[InvoiceDocument]:
        """The caller's invoices (an admin: `user`'s, or a subscription's), newest period first by default."""
        company_id = permissions.membership(claims).id
        owner = claims.sub
        if subscription is not None:
            company, found = self.repository.company_and(company_id, table_keys.subscription(subscription))
            permissions.require_api_key(company, api_key)
            if found is None or not permissions.may_see(claims, found["company_id"], found["user_id"]):
                raise NotFound(f"Subscription {subscription} not found")
            owner = found["user_id"]
        else:
            owner = self._owner(claims, api_key, company_id, user_id)
        conditions: list[str] = []
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        if subscription is not None:
            conditions.append("subscription_id = :subscription")
            values[":subscription"] = subscription
        if status is not None:
            conditions.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = status.value
        items = self._page(
            table_keys.user_invoices_index(company_id, owner),
            size,
            page,
            sort,
            Expression(" AND ".join(conditions), names, values) if conditions else None,
        )
        return [InvoiceDocument.of(Invoice.from_item(i)) for i in items]

    def payments(
        self, claims: Claims, api_key: str | None, *, user_id: str | None, size: int, page: int, sort: str
    ) -> list[PaymentDocument]:
        company_id = permissions.membership(claims).id
        owner = self._owner(claims, api_key, company_id, user_id)
        items = self._page(table_keys.user_payments_index(company_id, owner), size, page, sort, None)
        return [PaymentDocument.of(Payment.from_item(i), claims.sub) for i in items]

    def order(self, claims: Claims, api_key: str | None, order_id: str) -> OrderDocument:
        item = self._visible(claims, api_key, table_keys.order(order_id), f"Order {order_id} not found")
        return OrderDocument.of(Order.from_item(item))

    def orders(
        self,
        claims: Claims,
        api_key: str | None,
        *,
        plan: str | None,
        user_id: str | None,
        size: int,
        page: int,
        sort: str,
    ) -> list[OrderDocument]:
        """The caller's orders (an admin: `user`'s), by due time, newest first by default."""
        company_id = permissions.membership(claims).id
        owner = self._owner(claims, api_key, company_id, user_id)
        filter_ = Expression("plan_id = :plan", values={":plan": plan}) if plan else None
        items = self._page(table_keys.user_orders_index(company_id, owner), size, page, sort, filter_)
        return [OrderDocument.of(Order.from_item(i)) for i in items]

    # ---------------------------------------------------------------------------------------

    def _visible(self, claims: Claims, api_key: str | None, key: table_keys.Key, missing: str) -> dict[str, Any]:
        company_id = permissions.membership(claims).id
        company, item = self.repository.company_and(company_id, key)
        permissions.require_api_key(company, api_key)
        if item is None or not permissions.may_see(claims, item["company_id"], item["user_id"]):
            raise NotFound(missing)
        return item

    def _owner(self, claims: Claims, api_key: str | None, company_id: str, user_id: str | None) -> str:
        company, _, _ = self.repository.company_with(company_id)
        permissions.require_api_key(company, api_key)
        if user_id is None or user_id == claims.sub:
            return claims.sub
        if not permissions.is_company_admin(claims):
            raise NotFound(f"User {user_id} not found")
        return user_id

    def _page(self, index_pk: str, size: int, page: int, sort: str, filter_: Expression | None) -> list[dict[str, Any]]:
        if sort not in SORTS:
            raise InvalidInput("sort: created, or -created for newest first")
        offset = (max(page, 1) - 1) * size
        return self.repository.user_items(index_pk, limit=size, offset=offset, descending=SORTS[sort], filter_=filter_)
