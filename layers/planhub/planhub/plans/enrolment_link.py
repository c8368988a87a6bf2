"""Where plans meet enrolments: only through docs/architecture.md's shared contract.

Nothing of `planhub.enrolments` is imported: the active enrolment ref (`enrolment_id`)
and the enrolment item's `status`, `version` and `archived` are all a plan relies on.
This module is the one place to swap for the enrolments package's own functions later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from planhub.storage import Check, Delete, Expression, Update, Write
from planhub.storage import keys as table_keys

# A re-assignment archives the enrolment when the learner has begun it (the seed's
# "In progress / Completed"); a not-started, pending or expired one is kept and linked.
ARCHIVED_ON_REASSIGNMENT = frozenset({"in-progress", "completed"})

_NOT_ARCHIVED = "(attribute_not_exists(archived) OR archived = :false)"


@dataclass(frozen=True)
class ActiveEnrolment:
    id: int
    status: str | None = None  # known once the enrolment item itself was read
    version: int | None = None


def active_enrolment_id(ref: dict[str, Any] | None) -> int | None:
    """The enrolment id an active enrolment ref holds, or None when there is none."""
    if ref is None or ref.get("enrolment_id") is None:
        return None
    return int(ref["enrolment_id"])


def active_enrolment(item: dict[str, Any] | None) -> ActiveEnrolment | None:
    """The enrolment item, if it is still active (not archived)."""
    if item is None or item.get("archived"):
        return None
    return ActiveEnrolment(id=int(item["id"]), status=str(item.get("status")), version=int(item.get("version", 0)))


def is_archived_on_reassignment(enrolment: ActiveEnrolment) -> bool:
    return enrolment.status in ARCHIVED_ON_REASSIGNMENT


def unchanged(portal_id: str, user_id: str, lo_id: str, enrolment_id: int | None) -> Check:
    """Holds while the user's active enrolment of the LO is still the one the plan links (or none)."""
    ref = table_keys.active_enrolment(portal_id, user_id, lo_id)
    if enrolment_id is None:
        return Check(ref, Expression("attribute_not_exists(PK)"))
    return Check(ref, Expression("enrolment_id = :enrolment", values={":enrolment": enrolment_id}))


def archive(
    enrolment: ActiveEnrolment, portal_id: str, user_id: str, lo_id: str, *, by: str, at: datetime
) -> list[Write]:
    """Archives the enrolment (kept, never deleted) and frees its active ref, if nobody changed it meanwhile."""
    when = at.isoformat().replace("+00:00", "Z")
    index = table_keys.enrolment_archived_index_keys(portal_id, user_id, lo_id, enrolment.id)
    return [
        Update(
            table_keys.enrolment(enrolment.id),
            Expression(
                "SET archived = :true, archived_at = :at, archived_by = :by, updated_at = :at, "
                "version = version + :one, GSI1PK = :gsi1pk, GSI2PK = :gsi2pk, GSI2SK = :gsi2sk",
                values={
                    ":true": True,
                    ":at": when,
                    ":by": by,
                    ":one": 1,
                    ":gsi1pk": index["GSI1PK"],
                    ":gsi2pk": index["GSI2PK"],
                    ":gsi2sk": index["GSI2SK"],
                },
            ),
            Expression(
                f"#status = :status AND version = :version AND {_NOT_ARCHIVED}",
                names={"#status": "status"},
                values={":status": enrolment.status, ":version": enrolment.version, ":false": False},
            ),
        ),
        Delete(
            table_keys.active_enrolment(portal_id, user_id, lo_id),
            Expression("enrolment_id = :enrolment", values={":enrolment": enrolment.id}),
        ),
    ]


def relink(enrolment: ActiveEnrolment, plan_id: int, *, at: datetime) -> Update:
    """Points a kept enrolment at the plan that replaced its plan (a version 2 re-assignment),
    if nobody changed the enrolment meanwhile: the new plan and the enrolment name each other."""
    when = at.isoformat().replace("+00:00", "Z")
    return Update(
        table_keys.enrolment(enrolment.id),
        Expression(
            "SET plan_id = :plan, updated_at = :at, version = version + :one",
            values={":plan": plan_id, ":at": when, ":one": 1},
        ),
        Expression(
            f"#status = :status AND version = :version AND {_NOT_ARCHIVED}",
            names={"#status": "status"},
            values={":status": enrolment.status, ":version": enrolment.version, ":false": False},
        ),
    )
