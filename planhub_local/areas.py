"""The layer's domain areas, and the areas built on another by design.

One home for the rule `tests/test_areas.py` enforces (no area's package imports another's,
each handler calls into one area) and `benchmarks/cold_start.py` reports from what a fresh
interpreter loads. Every other package of the layer (records, storage, http, events, auth,
settings, errors, ids, observability, permissions, ...) is shared and no area.
"""

from __future__ import annotations

AREAS = frozenset(
    {
        "billing",
        "catalog",
        "commercial",
        "enrolments",
        "notifications",
        "payments",
        "plan_plays",
        "plans",
        "subscriptions",
    }
)
# Plan plays are the billable endpoint of the commercial controls, which admit any billable
# request in its own transaction (docs/product.md "Plan plays"). `payments` (the Stripe
# gateway, refunds, payment methods) is shared by the two areas that take money, enrolments
# and billing (docs/product.md "Enrolments" and "Billing"), and by no other.
BUILT_ON: dict[str, frozenset[str]] = {
    "plan_plays": frozenset({"commercial"}),
    "enrolments": frozenset({"payments"}),
    "billing": frozenset({"payments"}),
}
