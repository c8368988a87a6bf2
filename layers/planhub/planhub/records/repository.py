"""Reading the shared records other areas look up. Each look-up is a GetItem, a
BatchGetItem or a Query (the catalog reads its own records through `CatalogRepository`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from planhub.errors import NotFound
from planhub.records.client import Client, ClientUsage
from planhub.records.portal import Portal
from planhub.records.user import User
from planhub.storage import Found, Table
from planhub.storage import keys as table_keys
from planhub.storage.keys import Key


class RecordRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def read_in_portal(
        self, instance: str, keys_in: Callable[[str], Sequence[Key]], more: Sequence[Key] = (), *, consistent: bool
    ) -> tuple[Portal, Found]:
        """The portal `instance` names (its id, else its name), read together with
        `keys_in(portal_id)` and `more`: one BatchGetItem when `instance` is the id.

        Requests address a portal by either; the keys that hold its id are built from
        `instance` first, since it almost always is the id. When it is a name, its alias
        gives the id and the portal and `keys_in(id)` are read again: one more BatchGetItem.
        """
        by_id, by_name = table_keys.portal(instance), table_keys.portal_name(instance)
        found = self.table.found([by_id, by_name, *keys_in(instance), *more], consistent=consistent)
        portal_item = found.get(by_id)
        if portal_item is None:
            alias = found.get(by_name)
            if alias is None:
                raise NotFound(f"Portal {instance} not found")
            portal_id = str(alias["portal_id"])
            again = self.table.found([table_keys.portal(portal_id), *keys_in(portal_id)], consistent=consistent)
            portal_item = again.get(table_keys.portal(portal_id))
            if portal_item is None:
                raise NotFound(f"Portal {instance} not found")
            found = found.including(again)
        return Portal.from_item(portal_item), found

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

    def find_client_with_usage(self, client_id: str, period: str) -> tuple[Client | None, ClientUsage | None]:
        """The client and its usage item of `period` (None where not stored): one BatchGetItem."""
        found = self.table.found([table_keys.client(client_id), table_keys.client_usage(client_id, period)])
        client = found.get(table_keys.client(client_id))
        usage = found.get(table_keys.client_usage(client_id, period))
        return (
            Client.from_item(client) if client else None,
            ClientUsage.model_validate(usage) if usage else None,
        )
