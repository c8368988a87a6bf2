"""Reading the shared records other areas look up one at a time. Each look-up is a GetItem
or a Query (the catalog reads its own records through `CatalogRepository`)."""

from __future__ import annotations

from planhub.errors import NotFound
from planhub.records.user import User
from planhub.storage import Table
from planhub.storage import keys as table_keys


class RecordRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def find_user(self, portal_id: str, user_id: str) -> User | None:
        item = self.table.get(table_keys.user(portal_id, user_id))
        return User.from_item(item) if item else None

    def user_by_email(self, portal_id: str, email: str) -> User:
        page = self.table.query(table_keys.user_email_index(portal_id, email), index="GSI1", limit=1)
        if not page.items:
            raise NotFound(f"User {email} not found in portal {portal_id}")
        return User.from_item(page.items[0])

    def group_member_ids(self, portal_id: str, group_id: str) -> list[str]:
        pk = table_keys.group_members_pk(portal_id, group_id)
        prefix = table_keys.MEMBER_PREFIX
        members = self.table.query_all(pk, sk_prefix=prefix, consistent=True, attributes=["user_id"])
        return [i["user_id"] for i in members]
