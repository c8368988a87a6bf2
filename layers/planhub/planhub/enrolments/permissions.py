"""Who may do what with enrolments: pure functions of the caller's claims and the records.

The heart is the update seed's "Status permission" table, kept below as data, one rule per
line of the seed, in the seed's order. A caller acts in one or more capacities towards an
enrolment (its learner, the learner's manager, a portal admin, an assessor of the LO,
staff); for each capacity the first rule that matches the change decides, and the change
is allowed when it is allowed in any of the caller's capacities. A change no rule covers
(from `expired`, or to `expired` for anyone but staff) is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from planhub.auth.claims import Claims
from planhub.enrolments.models import OPEN_STATUSES, Enrolment, EnrolmentStatus
from planhub.errors import Forbidden
from planhub.records.learning_object import SIMPLE_ITEM_TYPES, LearningObject, LoType
from planhub.records.user import User


class Who(StrEnum):
    """The table's "Who" column: a capacity in which the caller acts towards an enrolment."""

    EVERYONE = "everyone"
    LEARNER = "learner"
    MANAGER = "manager"
    ADMIN = "admin"
    ASSESSOR = "assessor"
    STAFF = "staff"


class On(StrEnum):
    """The table's "On" column."""

    SIMPLE_LI = "Simple LI"  # text, resource, iframe, link, video, document
    LO_LI = "LO/LI"  # any learning object or learning item

    def covers(self, lo_type: LoType) -> bool:
        return self is On.LO_LI or lo_type in SIMPLE_ITEM_TYPES


_COMPLETED = frozenset({EnrolmentStatus.COMPLETED})
_ANY_STATUS = frozenset(EnrolmentStatus)
_OPEN = OPEN_STATUSES
_OPEN_OR_COMPLETED = OPEN_STATUSES | _COMPLETED
_OPEN_EXPIRED_OR_COMPLETED = OPEN_STATUSES | {EnrolmentStatus.EXPIRED, EnrolmentStatus.COMPLETED}


@dataclass(frozen=True)
class StatusRule:
    who: Who
    from_: frozenset[EnrolmentStatus]
    to: frozenset[EnrolmentStatus]
    on: On
    allow: bool

    def matches(self, who: Who, from_: EnrolmentStatus, to: EnrolmentStatus, lo_type: LoType) -> bool:
        return self.who in (Who.EVERYONE, who) and from_ in self.from_ and to in self.to and self.on.covers(lo_type)


# The update seed's table, line by line:  Who | From | To | On | Allow
STATUS_PERMISSIONS: tuple[StatusRule, ...] = (
    StatusRule(Who.EVERYONE, _COMPLETED, _ANY_STATUS, On.LO_LI, allow=False),
    StatusRule(Who.LEARNER, _OPEN, _OPEN_OR_COMPLETED, On.SIMPLE_LI, allow=True),
    StatusRule(Who.LEARNER, _OPEN, _OPEN_OR_COMPLETED, On.LO_LI, allow=False),
    StatusRule(Who.MANAGER, _OPEN, _OPEN_OR_COMPLETED, On.LO_LI, allow=True),
    StatusRule(Who.ADMIN, _OPEN, _OPEN_OR_COMPLETED, On.LO_LI, allow=True),
    StatusRule(Who.ASSESSOR, _OPEN, _OPEN_OR_COMPLETED, On.LO_LI, allow=True),
    StatusRule(Who.STAFF, _OPEN, _OPEN_EXPIRED_OR_COMPLETED, On.LO_LI, allow=True),
)


def may_change_status(capacities: Iterable[Who], from_: EnrolmentStatus, to: EnrolmentStatus, lo_type: LoType) -> bool:
    for who in capacities:
        rule = next((r for r in STATUS_PERMISSIONS if r.matches(who, from_, to, lo_type)), None)
        if rule is not None and rule.allow:
            return True
    return False


def capacities(claims: Claims, enrolment: Enrolment, user: User | None, lo: LearningObject | None) -> frozenset[Who]:
    """The capacities in which the caller acts towards `enrolment` (empty: a stranger to it).

    `user` (the learner's record, for their managers) and `lo` (for its assessors) may be
    None when the caller is known to be the learner, who cannot manage themselves.
    """
    found: set[Who] = set()
    if claims.sub == enrolment.user_id:
        found.add(Who.LEARNER)
    if user is not None and user.is_managed_by(claims.sub):
        found.add(Who.MANAGER)
    if claims.is_admin_of(enrolment.portal_id):
        found.add(Who.ADMIN)
    if lo is not None and claims.sub in lo.assessors:
        found.add(Who.ASSESSOR)
    if claims.staff:
        found.add(Who.STAFF)
    return frozenset(found)


def may_see_without_records(claims: Claims, enrolment: Enrolment) -> bool:
    """True when the claims alone show the caller may see the enrolment (no record to read)."""
    return claims.sub == enrolment.user_id or claims.staff or claims.is_admin_of(enrolment.portal_id)


def require_may_see(found: frozenset[Who]) -> None:
    if not found:
        raise Forbidden("You may not see or change this enrolment")


# The update seed's fields (as the request names them) that only a manager, a portal admin,
# an assessor of the LO or staff may set; the learner may set the rest on their own enrolment
# (startDate, duration, note, and status as the table allows).
SUPERVISOR_FIELDS = frozenset({"dueDate", "expectedCompletionDate", "result", "pass", "endDate", "data"})
_SUPERVISORS = frozenset({Who.MANAGER, Who.ADMIN, Who.ASSESSOR, Who.STAFF})


def require_may_set(found: frozenset[Who], fields: Iterable[str]) -> None:
    if found & _SUPERVISORS:
        return
    refused = sorted(set(fields) & SUPERVISOR_FIELDS)
    if refused:
        raise Forbidden(f"Only a manager, a portal admin, an assessor or staff may set {', '.join(refused)}")


def lo_types_allowing(
    claims: Claims,
    enrolment: Enrolment,
    fields: Iterable[str],
    to_status: EnrolmentStatus | None,
    *,
    assessor: bool,
) -> frozenset[LoType]:
    """The LO types on which the update is allowed in the capacities the claims alone give (and
    the LO's assessor's too, if `assessor`), by the same rules as `require_may_see`,
    `require_may_set` and `may_change_status`.

    Capacities only ever allow more, so an update allowed on every type needs no record; when
    the learner's record is not in play (the caller is the learner), the LO's type and
    assessors are all that can still decide.
    """
    found = capacities(claims, enrolment, None, None) | ({Who.ASSESSOR} if assessor else frozenset())
    if not found:
        return frozenset()
    if not found & _SUPERVISORS and set(fields) & SUPERVISOR_FIELDS:
        return frozenset()
    if to_status is None or to_status == enrolment.status:
        return frozenset(LoType)
    return frozenset(t for t in LoType if may_change_status(found, enrolment.status, to_status, t))


def require_may_enrol(claims: Claims, portal_id: str, learner: User) -> None:
    """Enrolling a student on their behalf (the routes naming a student by email): portal
    admins, the student's managers and staff only (docs/product.md "Enrolments"). A student naming
    themselves is refused too, as by the original API: their own routes are for that."""
    if claims.staff or claims.is_admin_of(portal_id) or learner.is_managed_by(claims.sub):
        return
    raise Forbidden("Only portal admins, the student's managers and staff may enrol a student")


def may_see_users_enrolments(claims: Claims, portal_id: str, user_id: str, user: User | None) -> bool:
    """A user's enrolments (their list, their active enrolment of an LO): the user, their
    managers, the portal's admins and staff."""
    return (
        claims.sub == user_id
        or claims.staff
        or claims.is_admin_of(portal_id)
        or (user is not None and user.is_managed_by(claims.sub))
    )


def may_withdraw_without_records(claims: Claims, enrolment: Enrolment) -> bool:
    return claims.staff or claims.is_admin_of(enrolment.portal_id)


def require_may_withdraw(claims: Claims, enrolment: Enrolment, user: User | None) -> None:
    """Withdrawing (docs/product.md "Everyday operations"): the user's managers, portal admins
    and staff; not the learner."""
    if may_withdraw_without_records(claims, enrolment) or (user is not None and user.is_managed_by(claims.sub)):
        return
    raise Forbidden("Only the user's managers, portal admins and staff may withdraw an enrolment")
