"""Reading catalog records. Every look-up is a GetItem, a BatchGetItem or a Query."""

from __future__ import annotations

from planhub.errors import NotFound
from planhub.records.client import Client, ClientUsage
from planhub.records.company import Company, Product
from planhub.records.coupon import Coupon
from planhub.records.group import Group
from planhub.records.learning_object import LearningObject
from planhub.records.portal import Portal
from planhub.records.user import User
from planhub.storage import Table
from planhub.storage import keys as table_keys


class CatalogRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def find_portal_by_id(self, portal_id: str) -> Portal | None:
        item = self.table.get(table_keys.portal(portal_id))
        return Portal.from_item(item) if item else None

    def portal_by_id(self, portal_id: str) -> Portal:
        portal = self.find_portal_by_id(portal_id)
        if portal is None:
            raise NotFound(f"Portal {portal_id} not found")
        return portal

    def portal(self, instance: str) -> Portal:
        """The portal named by `instance`: its id, or else its name. One BatchGetItem."""
        found = self.table.get_many([table_keys.portal(instance), table_keys.portal_name(instance)])
        by_id = next((i for i in found if i["entity"] == "portal"), None)
        if by_id is not None:
            return Portal.from_item(by_id)
        alias = next((i for i in found if i["entity"] == "portal_name"), None)
        if alias is not None:
            return self.portal_by_id(alias["portal_id"])
        raise NotFound(f"Portal {instance} not found")

    def find_user(self, portal_id: str, user_id: str) -> User | None:
        item = self.table.get(table_keys.user(portal_id, user_id))
        return User.from_item(item) if item else None

    def user(self, portal_id: str, user_id: str) -> User:
        user = self.find_user(portal_id, user_id)
        if user is None:
            raise NotFound(f"User {user_id} not found in portal {portal_id}")
        return user

    def user_by_email(self, portal_id: str, email: str) -> User:
        page = self.table.query(table_keys.user_email_index(portal_id, email), index="GSI1", limit=1)
        if not page.items:
            raise NotFound(f"User {email} not found in portal {portal_id}")
        return User.from_item(page.items[0])

    def group(self, portal_id: str, group_id: str) -> Group:
        item = self.table.get(table_keys.group(portal_id, group_id))
        if item is None:
            raise NotFound(f"Group {group_id} not found in portal {portal_id}")
        return Group.from_item(item)

    def group_member_ids(self, portal_id: str, group_id: str) -> list[str]:
        pk = table_keys.group_members_pk(portal_id, group_id)
        prefix = table_keys.MEMBER_PREFIX
        members = self.table.query_all(pk, sk_prefix=prefix, consistent=True, attributes=["user_id"])
        return [i["user_id"] for i in members]

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
        found = self.table.get_many([table_keys.client(client_id), table_keys.client_usage(client_id, period)])
        client = next((Client.from_item(i) for i in found if i["entity"] == "client"), None)
        if client is None:
            raise NotFound(f"Client {client_id} not found")
        usage = next((ClientUsage.model_validate(i) for i in found if i["entity"] == "client_usage"), None)
        return client, usage

    def find_coupon(self, code: str) -> Coupon | None:
        item = self.table.get(table_keys.coupon(code))
        return Coupon.from_item(item) if item else None

    def coupon(self, code: str) -> Coupon:
        coupon = self.find_coupon(code)
        if coupon is None:
            raise NotFound(f"Coupon {code} not found")
        return coupon
