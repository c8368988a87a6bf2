"""Where enrolments meet plans: only through docs/architecture.md's shared contract.

Nothing of `planhub.plans` is imported; the active plan ref item (`plan_id`) and the plan
item's `enrolment_id` attribute are all an enrolment relies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planhub.storage import Expression, Update, exists
from planhub.storage import keys as table_keys


@dataclass(frozen=True)
class PlanLink:
    plan_id: int
    write: Update


def link_active_plan(active_plan_ref: dict[str, Any] | None, enrolment_id: int) -> PlanLink | None:
    """The write that records the new enrolment on the user's active plan for the same LO.

    `active_plan_ref` is the item at keys.active_plan(portal, user, lo), or None when the
    user has no plan for the LO. The write goes into the enrolment's creating transaction.
    """
    if active_plan_ref is None or active_plan_ref.get("plan_id") is None:
        return None
    plan_id = int(active_plan_ref["plan_id"])
    write = Update(
        table_keys.plan(plan_id),
        Expression("SET enrolment_id = :enrolment", values={":enrolment": enrolment_id}),
        exists(),
    )
    return PlanLink(plan_id=plan_id, write=write)
