"""Reading catalog records. Every look-up is a GetItem, a BatchGetItem or a Query."""

from __future__ import annotations

from planhub.errors import NotFound
from planhub.records.client import Client, ClientUsage
from planhub.records.company import Company, Product
from planhub.records.coupon import Coupon
from planhub.records.group import Group
from planhub.records.learning_object import LearningObject
from planhub.records.portal import Portal
from planhub.records.repository import RecordRepository
from planhub.records.user import User
from planhub.storage import keys as table_keys


class CatalogRepository(RecordRepository):
    """The shared look-ups (`RecordRepository`) and the reads only the catalog makes."""

    def portal_by_id(self, portal_id: str) -> Portal:
        item = self.table.get(table_keys.portal(portal_id))
        if item is None:
            raise NotFound(f"Portal {portal_id} not found")
        return Portal.from_item(item)

    def user(self, portal_id: str, user_id: str) -> User:
        user = self.find_user(portal_id, user_id)
        if user is None:
            raise NotFound(f"User {user_id} not found in portal {portal_id}")
        return user

    def group_with_member_ids(self, portal_id: str, group_id: str) -> tuple[Group, list[str]]:
        """The group and its members: one Query of their shared partition (a page per 1 MB)."""
        group: Group | None = None
        members: list[str] = []
        for item in self.table.query_all(table_keys.group_members_pk(portal_id, group_id), consistent=True):
            if item["entity"] == Group.entity_type:
                group = Group.from_item(item)
            else:
                members.append(item["user_id"])
        if group is None:
            raise NotFound(f"Group {group_id} not found in portal {portal_id}")
        return group, members

    def learning_object(self, lo_id: str) -> LearningObject:
        item = self.table.get(table_keys.learning_object(lo_id))
        if item is None:
            raise NotFound(f"Learning object {lo_id} not found")
        return LearningObject.from_item(item)

    def company(self, company_id: str) -> Company:
        item = self.table.get(table_keys.company(company_id))
        if item is None:
            raise NotFound(f"Company {company_id} not found")
        return Company.from_item(item)

    def product(self, product_id: str) -> Product:
        item = self.table.get(table_keys.product(product_id))
        if item is None:
            raise NotFound(f"Product {product_id} not found")
        return Product.from_item(item)

    def client_with_usage(self, client_id: str, period: str) -> tuple[Client, ClientUsage | None]:
        client, usage = self.find_client_with_usage(client_id, period)
        if client is None:
            raise NotFound(f"Client {client_id} not found")
        return client, usage

    def find_coupon(self, code: str) -> Coupon | None:
        item = self.table.get(table_keys.coupon(code))
        return Coupon.from_item(item) if item else None

    def coupon(self, code: str) -> Coupon:
        coupon = self.find_coupon(code)
        if coupon is None:
            raise NotFound(f"Coupon {code} not found")
        return coupon
