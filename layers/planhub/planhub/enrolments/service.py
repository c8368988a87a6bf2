"""Enrolments (docs/product.md "Enrolments"): the one service the enrolment functions call.

Each use case lives in its own module: enrolling (`enrolling`, deciding in `creation`, paying in
`payments`), updating (`updating`), withdrawing (`withdrawal`), rolling a completion up to
the parents (`roll_up`). Reading an enrolment, its history and a user's lists is here.
Every state change is one transaction holding the change and its domain events (`writes`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from planhub.auth.claims import Claims
from planhub.enrolments import permissions
from planhub.enrolments.enrolling import Enrolling
from planhub.enrolments.models import (
    CreatableStatus,
    Enrolment,
    EnrolmentChangeView,
    EnrolmentCreateBody,
    EnrolmentHistoryPage,
    EnrolmentId,
    EnrolmentPage,
    EnrolmentsCreateBody,
    EnrolmentStatus,
    EnrolmentUpdateBody,
    EnrolmentView,
    ItemOutcomes,
)
from planhub.enrolments.repository import EnrolmentRepository
from planhub.enrolments.roll_up import RollUp
from planhub.enrolments.updating import Updating
from planhub.enrolments.withdrawal import Withdrawing
from planhub.errors import Forbidden, NotFound
from planhub.events import DomainEvent
from planhub.events.idempotency import exactly_once
from planhub.payments import PaymentGateway, StripeGateway
from planhub.records.repository import RecordRepository
from planhub.records.user import User
from planhub.settings import TableEnvironment
from planhub.storage import Table
from planhub.storage import keys as table_keys

ROLL_UP_CONSUMER = "enrolment-completion-roll-up"


class EnrolmentService:
    def __init__(self, table: Table, gateway: PaymentGateway | None = None) -> None:
        self.table = table
        self.repository = EnrolmentRepository(table)
        self.records = RecordRepository(table)
        # The function's Stripe settings are read now, at import; the SDK on the first charge.
        self.gateway = gateway if gateway is not None else StripeGateway.from_environment()
        self.roll_ups = RollUp(table, self.repository)
        self.enrolling = Enrolling(table, self.records, self.gateway, self.roll_ups)
        self.updates = Updating(table, self.repository, self.roll_ups)
        self.withdrawing = Withdrawing(table, self.repository, self.records)

    @classmethod
    def from_environment(cls) -> EnrolmentService:
        return cls(Table(TableEnvironment.load().table_name))

    # --- create -------------------------------------------------------------------------

    def enrol(
        self,
        claims: Claims,
        instance: str,
        *,
        parent_lo_id: str,
        lo_id: str,
        status: CreatableStatus,
        parent_enrolment_id: int | None,
        body: EnrolmentCreateBody | None,
        student_email: str | None = None,
    ) -> EnrolmentId:
        """One LO, for the caller or (with `student_email`) on behalf of a student."""
        return self.enrolling.enrol(
            claims,
            instance,
            parent_lo_id=parent_lo_id,
            lo_id=lo_id,
            status=status,
            parent_enrolment_id=parent_enrolment_id,
            body=body,
            student_email=student_email,
        )

    def enrol_many(
        self, claims: Claims, instance: str, body: EnrolmentsCreateBody, *, student_email: str | None = None
    ) -> ItemOutcomes:
        """Each item on its own: one item's failure never undoes another's enrolment."""
        return self.enrolling.enrol_many(claims, instance, body, student_email=student_email)

    # --- update ------------------------------------------------------------------------

    def update(
        self, claims: Claims, enrolment_id: int, body: EnrolmentUpdateBody, *, if_match: tuple[str, ...] | None = None
    ) -> None:
        """Applies the request's fields under the permission rules, never over a change it did not see."""
        self.updates.apply(claims, enrolment_id, body, if_match=if_match)

    # --- read --------------------------------------------------------------------------

    def get(self, claims: Claims, enrolment_id: int) -> EnrolmentView:
        enrolment = self.repository.enrolment(enrolment_id)
        self._require_may_see(claims, enrolment)
        return EnrolmentView.of(enrolment)

    def history(self, claims: Claims, enrolment_id: int, limit: int, cursor: str | None) -> EnrolmentHistoryPage:
        """The enrolment's status changes, newest first."""
        enrolment = self.repository.enrolment(enrolment_id)
        self._require_may_see(claims, enrolment)
        changes, next_cursor = self.repository.history(enrolment_id, limit, cursor)
        return EnrolmentHistoryPage(data=[EnrolmentChangeView.of(c) for c in changes], cursor=next_cursor)

    def of_user(
        self,
        claims: Claims,
        instance: str,
        user_id: str,
        *,
        status: EnrolmentStatus | None,
        lo_id: str | None,
        archived: bool,
        limit: int,
        cursor: str | None,
    ) -> EnrolmentPage:
        """A user's enrolments (docs/product.md "Everyday operations"): one BatchGetItem (portal, user), one Query."""
        portal, found = self.records.read_in_portal(
            instance, lambda portal_id: [table_keys.user(portal_id, user_id)], consistent=False
        )
        user_item = found.get(table_keys.user(portal.id, user_id))
        user = User.from_item(user_item) if user_item else None
        if not permissions.may_see_users_enrolments(claims, portal.id, user_id, user):
            raise Forbidden("Only the user, their managers, portal admins and staff may see their enrolments")
        enrolments, next_cursor = self.repository.of_user(
            portal.id,
            user_id,
            archived=archived,
            status=status.value if status else None,
            lo_id=lo_id,
            limit=limit,
            cursor=cursor,
        )
        return EnrolmentPage(data=[EnrolmentView.of(e) for e in enrolments], cursor=next_cursor)

    def active_of(self, claims: Claims, instance: str, lo_id: str, user_id: str) -> EnrolmentView:
        """The user's active enrolment of the LO: one BatchGetItem (portal, user, active ref), one GetItem."""
        portal, found = self.records.read_in_portal(
            instance,
            lambda portal_id: [
                table_keys.user(portal_id, user_id),
                table_keys.active_enrolment(portal_id, user_id, lo_id),
            ],
            consistent=False,
        )
        user_item = found.get(table_keys.user(portal.id, user_id))
        user = User.from_item(user_item) if user_item else None
        sees_user = permissions.may_see_users_enrolments(claims, portal.id, user_id, user)
        ref = found.get(table_keys.active_enrolment(portal.id, user_id, lo_id))
        enrolment = self.repository.find(int(ref["enrolment_id"])) if ref else None
        if enrolment is None or enrolment.archived:
            if not sees_user:
                raise Forbidden("Only the user, their managers, portal admins and staff may see their enrolments")
            raise NotFound(f"User {user_id} has no active enrolment of learning object {lo_id}")
        if not sees_user:
            self._require_may_see(claims, enrolment)  # the LO's assessors
        return EnrolmentView.of(enrolment)

    def _require_may_see(self, claims: Claims, enrolment: Enrolment) -> None:
        if permissions.may_see_without_records(claims, enrolment):
            return
        lo, user = self.repository.deciding_records(enrolment, with_learner=claims.sub != enrolment.user_id)
        permissions.require_may_see(permissions.capacities(claims, enrolment, user, lo))

    # --- withdraw ------------------------------------------------------------------------

    def withdraw(self, claims: Claims, enrolment_id: int) -> None:
        """Archives the enrolment and its open descendants in one transaction."""
        self.withdrawing.withdraw(claims, enrolment_id)

    # --- completion roll-up ------------------------------------------------------------

    def roll_up(self, event: DomainEvent) -> None:
        """Consumer of `enrolment completed`: completes the parent when all its children are.

        One level per event: the parent's own `enrolment completed` carries it further up.
        """
        self._roll_up_once(event=event.model_dump(mode="json"))

    @functools.cached_property
    def _roll_up_once(self) -> Callable[..., None]:
        # Built on first use: API functions never pay for the idempotency store.
        once: Callable[..., None] = exactly_once(ROLL_UP_CONSUMER, self.table.name)(self._roll_up_event)
        return once

    def _roll_up_event(self, event: dict[str, Any]) -> None:
        # Stays a method of this class: Powertools keys the records of events already rolled
        # up by the method's qualified name, which moving it would change.
        parent_id = event.get("data", {}).get("parent_enrolment_id")
        if parent_id is not None:
            self.roll_ups.complete_when_children_are(int(parent_id), event.get("actor"))
