"""Reading enrolments: GetItem, BatchGetItem or a Query of one enrolment's partition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planhub.enrolments.models import Enrolment, EnrolmentChange, EnrolmentChild
from planhub.errors import NotFound
from planhub.records.learning_object import LearningObject
from planhub.records.user import User
from planhub.storage import Table
from planhub.storage import keys as table_keys
from planhub.storage.table import Page


@dataclass(frozen=True)
class Family:
    """A parent enrolment and its children's records, as one consistent read saw them."""

    parent: Enrolment | None
    children: dict[str, EnrolmentChild]  # by child LO id


class EnrolmentRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def find(self, enrolment_id: int, *, consistent: bool = False) -> Enrolment | None:
        item = self.table.get(table_keys.enrolment(enrolment_id), consistent=consistent)
        return Enrolment.from_item(item) if item else None

    def enrolment(self, enrolment_id: int) -> Enrolment:
        enrolment = self.find(enrolment_id)
        if enrolment is None:
            raise NotFound(f"Enrolment {enrolment_id} not found")
        return enrolment

    def deciding_records(self, enrolment: Enrolment, *, with_learner: bool) -> tuple[LearningObject, User | None]:
        """What may make a caller the LO's assessor or the learner's manager, in one BatchGetItem:
        the LO (type, assessors) and, `with_learner` (the caller is not the learner), the learner."""
        lo_key = table_keys.learning_object(enrolment.lo_id)
        user_key = table_keys.user(enrolment.portal_id, enrolment.user_id) if with_learner else None
        found = self.table.found([lo_key, user_key])
        user_item = found.get(user_key)
        return learning_object_of(enrolment, found.get(lo_key)), User.from_item(user_item) if user_item else None

    def family(self, parent_enrolment_id: int) -> Family:
        """The parent and its child records in one strongly consistent Query.

        Within the parent's partition `CHILD#...` sorts before `ENROLMENT`, which sorts before
        `HISTORY#...`: the range between the first two holds exactly what roll-up needs.
        """
        items = self.table.query_all(
            table_keys.enrolment_pk(parent_enrolment_id),
            sk_between=(table_keys.ENROLMENT_CHILD_PREFIX, table_keys.enrolment(parent_enrolment_id)["SK"]),
            consistent=True,
        )
        parent: Enrolment | None = None
        children: dict[str, EnrolmentChild] = {}
        for item in items:
            if item["entity"] == Enrolment.entity_type:
                parent = Enrolment.from_item(item)
            elif item["entity"] == EnrolmentChild.entity_type:
                child = EnrolmentChild.from_item(item)
                children[child.lo_id] = child
        return Family(parent=parent, children=children)

    def of_user(
        self,
        portal_id: str,
        user_id: str,
        *,
        archived: bool,
        status: str | None,
        lo_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Enrolment], str | None]:
        """One Query whatever the filters: each combination is a key prefix of one index.

        GSI1 holds the user's active (or archived) enrolments ordered by status, LO and id, so
        `status` and `status` + `lo_id` are prefixes; GSI2 holds the user's enrolments of one
        LO, active before archived, so `lo_id` alone is a partition and a prefix.
        """
        if lo_id is not None and status is None:
            index, pk = "GSI2", table_keys.user_lo_enrolments_index(portal_id, user_id, lo_id)
            prefix: str | None = table_keys.user_lo_enrolments_prefix(archived=archived)
        else:
            index, pk = "GSI1", table_keys.user_enrolments_index(portal_id, user_id, archived=archived)
            prefix = None if status is None else table_keys.user_enrolments_prefix(status, lo_id)
        # Table.query checks the cursor: one this Query (index, partition, prefix) gave out, or 400.
        page: Page = self.table.query(pk, index=index, sk_prefix=prefix, limit=limit, cursor=cursor)
        return [Enrolment.from_item(i) for i in page.items], page.cursor

    def history(self, enrolment_id: int, limit: int, cursor: str | None) -> tuple[list[EnrolmentChange], str | None]:
        page: Page = self.table.query(
            table_keys.enrolment_pk(enrolment_id),
            sk_prefix=table_keys.ENROLMENT_HISTORY_PREFIX,
            limit=limit,
            cursor=cursor,
            newest_first=True,
        )
        return [EnrolmentChange.from_item(i) for i in page.items], page.cursor


def learning_object_of(enrolment: Enrolment, item: dict[str, Any] | None) -> LearningObject:
    """The enrolment's LO from its item, as read or as a refused check gave it back."""
    if item is None:
        raise NotFound(f"Learning object {enrolment.lo_id} of enrolment {enrolment.id} not found")
    return LearningObject.from_item(item)
