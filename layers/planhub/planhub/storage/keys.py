"""The single place that builds table keys.

One table holds every item (generic PK/SK). GSI1 answers the secondary look-ups (by name,
by email, by owner, a user's plans by due date); GSI2 answers time-ordered scans of work
that is due (reminders, recurring orders); GSI3 a user's plans of one learning object.
Every key any code writes or reads comes from a function here.
"""

from __future__ import annotations

import zlib
from typing import TypedDict


class Key(TypedDict):
    PK: str
    SK: str


def key(pk: str, sk: str) -> Key:
    return {"PK": pk, "SK": sk}


# --- catalog -------------------------------------------------------------------------


def portal(portal_id: str) -> Key:
    return key(f"PORTAL#{portal_id}", "PORTAL")


def portal_name(name: str) -> Key:
    """Alias item that makes a portal addressable by name, and names unique."""
    return key(f"PORTALNAME#{name.lower()}", "PORTALNAME")


def user(portal_id: str, user_id: str) -> Key:
    return key(f"PORTAL#{portal_id}", f"USER#{user_id}")


def user_email_index(portal_id: str, email: str) -> str:
    return f"EMAIL#{portal_id}#{email.lower()}"


def group_members_pk(portal_id: str, group_id: str) -> str:
    return f"GROUP#{portal_id}#{group_id}"


def group(portal_id: str, group_id: str) -> Key:
    """The group's own item shares its members' partition ("GROUP" sorts before "MEMBER#"):
    one Query reads a group whole."""
    return key(group_members_pk(portal_id, group_id), "GROUP")


def group_member(portal_id: str, group_id: str, user_id: str) -> Key:
    return key(group_members_pk(portal_id, group_id), f"MEMBER#{user_id}")


MEMBER_PREFIX = "MEMBER#"


def learning_object(lo_id: str) -> Key:
    return key(f"LO#{lo_id}", "LO")


def company(company_id: str) -> Key:
    return key(f"COMPANY#{company_id}", "COMPANY")


def product(product_id: str) -> Key:
    return key(f"PRODUCT#{product_id}", "PRODUCT")


def client_pk(client_id: str) -> str:
    return f"CLIENT#{client_id}"


def client(client_id: str) -> Key:
    return key(client_pk(client_id), "CLIENT")


def client_usage(client_id: str, period: str) -> Key:
    """Per-client usage totals of one period (YYYY-MM), kept by metering."""
    return key(client_pk(client_id), f"USAGE#{period}")


def coupon(code: str) -> Key:
    return key(f"COUPON#{code}", "COUPON")


def credit_token(token: str) -> Key:
    return key(f"CREDITTOKEN#{token}", "CREDITTOKEN")


def catalog_audit(day: str, occurred_at: str, event_id: str) -> Key:
    return key(f"AUDIT#CATALOG#{day}", f"{occurred_at}#{event_id}")


def catalog_audit_pk(day: str) -> str:
    return f"AUDIT#CATALOG#{day}"


# --- plans and enrolments (shared contract, see docs/architecture.md) -------------------


def plan(plan_id: int | str) -> Key:
    return key(f"PLAN#{plan_id}", "PLAN")


def active_plan(portal_id: str, user_id: str, lo_id: str) -> Key:
    """At most one active plan per user and LO in a portal: this item holds its id."""
    return key(f"ACTIVEPLAN#{portal_id}#{user_id}#{lo_id}", "ACTIVEPLAN")


def enrolment(enrolment_id: int | str) -> Key:
    return key(f"ENROLMENT#{enrolment_id}", "ENROLMENT")


def active_enrolment(portal_id: str, user_id: str, lo_id: str) -> Key:
    """At most one active enrolment per user and LO in a portal: this item holds its id."""
    return key(f"ACTIVEENROLMENT#{portal_id}#{user_id}#{lo_id}", "ACTIVEENROLMENT")


# --- enrolments (docs/product.md "Enrolments"): items in an enrolment's own partition ------------


def enrolment_pk(enrolment_id: int | str) -> str:
    return f"ENROLMENT#{enrolment_id}"


ENROLMENT_HISTORY_PREFIX = "HISTORY#"


def enrolment_history(enrolment_id: int | str, changed_at: str, change_id: str) -> Key:
    """One status change of an enrolment; sorts by time within the enrolment's partition."""
    return key(enrolment_pk(enrolment_id), f"{ENROLMENT_HISTORY_PREFIX}{changed_at}#{change_id}")


ENROLMENT_CHILD_PREFIX = "CHILD#"


def enrolment_child(parent_enrolment_id: int | str, lo_id: str) -> Key:
    """The parent's view of the child enrolment of one child LO (its id and status), for roll-up."""
    return key(enrolment_pk(parent_enrolment_id), f"{ENROLMENT_CHILD_PREFIX}{lo_id}")


def user_enrolments_index(portal_id: str, user_id: str, *, archived: bool) -> str:
    """GSI1 partition of a user's enrolments in a portal, active or archived (sorted by
    `user_enrolments_order`): a status filter, and a status and LO filter, are key prefixes."""
    return f"USERENROLMENTS#{portal_id}#{user_id}#{'ARCHIVED' if archived else 'ACTIVE'}"


def user_enrolments_order(status: str, lo_id: str, enrolment_id: int | str) -> str:
    return f"{user_enrolments_prefix(status, lo_id)}{int(enrolment_id):020d}"


def user_enrolments_prefix(status: str, lo_id: str | None = None) -> str:
    """The sort-key prefix of a status (and LO): LO ids hold no `#`, so `c1#` is not `c10#`'s prefix."""
    return f"{status}#" if lo_id is None else f"{status}#{lo_id}#"


def user_lo_enrolments_index(portal_id: str, user_id: str, lo_id: str) -> str:
    """GSI2 partition of a user's enrolments of one LO (re-enrolments archive the earlier ones)."""
    return f"USERLOENROLMENTS#{portal_id}#{user_id}#{lo_id}"


def user_lo_enrolments_prefix(*, archived: bool) -> str:
    return "ARCHIVED#" if archived else "ACTIVE#"


def user_lo_enrolments_order(enrolment_id: int | str, *, archived: bool) -> str:
    return f"{user_lo_enrolments_prefix(archived=archived)}{int(enrolment_id):020d}"


def enrolment_archived_index_keys(portal_id: str, user_id: str, lo_id: str, enrolment_id: int | str) -> dict[str, str]:
    """The index attributes an enrolment's archiving sets (its GSI1SK, by status, is unchanged)."""
    return {
        "GSI1PK": user_enrolments_index(portal_id, user_id, archived=True),
        "GSI2PK": user_lo_enrolments_index(portal_id, user_id, lo_id),
        "GSI2SK": user_lo_enrolments_order(enrolment_id, archived=True),
    }


# --- events --------------------------------------------------------------------------


def outbox_event(event_id: str) -> Key:
    return key(f"EVENT#{event_id}", "EVENT")


# The outbox by time (GSI2), so that `make replay` finds the events of a stream batch the
# publisher dead-lettered (its record names stream positions and arrival times only). A
# minute's events spread over OUTBOX_SHARDS partitions: a burst is no hot index key.
OUTBOX_SHARDS = 16


def outbox_time_index(minute: str, shard: int) -> str:
    """GSI2 partition of one shard of the events that occurred in `minute` (YYYY-MM-DDTHH:MM)."""
    return f"OUTBOX#{minute}#{shard}"


def outbox_time_index_keys(event_id: str, occurred_at: str) -> dict[str, str]:
    shard = zlib.crc32(event_id.encode()) % OUTBOX_SHARDS
    return {"GSI2PK": outbox_time_index(occurred_at[:16], shard), "GSI2SK": f"{occurred_at}#{event_id}"}


def idempotency_record(consumer: str, idempotency_key: str) -> Key:
    """A consumer's exactly-once record of one event: a partition per event, so a burst of
    events is spread over many partitions (one per consumer would be a hot key)."""
    return key(f"IDEMPOTENCY#{consumer}#{idempotency_key}", "IDEMPOTENCY")


def processed_event(consumer: str, event_id: str) -> Key:
    """Marks that `consumer` has handled `event_id`, so a redelivery is a no-op."""
    return key(f"PROCESSED#{consumer}#{event_id}", "PROCESSED")


# --- plan plays and commercial controls (docs/product.md "Plan plays") -----------------------------


def plan_play(plan_play_id: str) -> Key:
    return key(f"PLANPLAY#{plan_play_id}", "PLANPLAY")


def user_plan_plays_index(client_id: str, user_id: str) -> str:
    """GSI1 partition of one user's plan plays within a client (sorted by `plan_play_order`)."""
    return f"{client_pk(client_id)}#USER#{user_id}#PLANPLAYS"


def client_plan_plays_index(client_id: str) -> str:
    """GSI2 partition of all of a client's plan plays (sorted by `plan_play_order`)."""
    return f"{client_pk(client_id)}#PLANPLAYS"


def plan_play_order(created_at: str, plan_play_id: str) -> str:
    return f"PLANPLAY#{created_at}#{plan_play_id}"


def rate_limit_window(client_id: str, per_seconds: int, window_id: str) -> Key:
    """A client's admission counter for one fixed rate-limit window (expires by TTL)."""
    return key(client_pk(client_id), f"RATEWINDOW#{per_seconds}#{window_id}")


def quota_period(client_id: str, period_id: str) -> Key:
    """A client's admission counter for one quota period (YYYY-MM-DD or YYYY-MM, UTC)."""
    return key(client_pk(client_id), f"QUOTA#{period_id}")


# --- subscription plans (docs/product.md "Subscription plans") ---------------------------------------------


def subscription_plan(plan_id: str) -> Key:
    return key(f"SUBPLAN#{plan_id}", "SUBPLAN")


def subscription_plan_listing_pk(company_id: str, audience: str, field: str) -> str:
    """One sorted list of a company's subscription plans: those of `audience` (`basic`,
    `recurring`, or `owner#<user>`), ordered by `field`. The field comes last, so a user id
    holding `#` cannot make two lists share a partition."""
    return f"SUBPLANS#{company_id}#{audience}#{field}"


def subscription_plan_listing(company_id: str, audience: str, field: str, sort_key: str) -> Key:
    """A plan's place in one sorted list (`sort_key` ends with the plan id)."""
    return key(subscription_plan_listing_pk(company_id, audience, field), sort_key)


ORDER_DUE_SHARDS = 8  # GSI2 partitions of due recurring orders: the tick queries each


def order_due_index(shard: int) -> str:
    """GSI2 partition of recurring order plans, ordered by when their next order falls due."""
    return f"ORDERDUE#{shard}"


def order_due_order(due_at: str, plan_id: str) -> str:
    """GSI2 sort key: the fixed-width UTC instant of the next due order, then the plan."""
    return f"{due_at}#{plan_id}"


# --- plans (docs/product.md "Plans"): group assignments and due-date notices ------------------


def group_active_plans_pk(portal_id: str, group_id: str) -> str:
    """A group's active group assignments (one per LO): what members added later receive."""
    return f"GROUPPLANS#{portal_id}#{group_id}"


def group_active_plan(portal_id: str, group_id: str, lo_id: str) -> Key:
    return key(group_active_plans_pk(portal_id, group_id), f"LO#{lo_id}")


def plan_due_index(day: str) -> str:
    """GSI2 partition of active plans falling due on `day` (YYYY-MM-DD, UTC), for notices."""
    return f"PLANDUE#{day}"


def plan_due_order(due_at: str, plan_id: int | str) -> str:
    """GSI2 sort key: the fixed-width UTC due instant, then the plan."""
    return f"{due_at}#{plan_id}"


def plan_notices_watermark() -> Key:
    """The first day whose due plans the daily notice run has not fully handled yet."""
    return key("SCHEDULE#PLANNOTICES", "WATERMARK")


# --- plans (docs/product.md "Everyday operations"): a user's plans by due date, unassignments, fan-out progress ---

PLAN_NO_DUE_DATE = "~"  # sorts after every ISO 8601 instant: plans without a due date come last


def user_plans_index(portal_id: str, user_id: str, *, archived: bool = False) -> str:
    """GSI1 partition of a user's plans in a portal (active ones; archived ones in their own)."""
    return f"USERPLANS#{portal_id}#{user_id}" + ("#ARCHIVED" if archived else "")


def user_lo_plans_index(portal_id: str, user_id: str, lo_id: str, *, archived: bool = False) -> str:
    """GSI3 partition of a user's plans of one LO (the `lo_id` filter of the list)."""
    return f"USERLOPLANS#{portal_id}#{user_id}#{lo_id}" + ("#ARCHIVED" if archived else "")


def user_plans_order(due_at: str | None, plan_id: int | str) -> str:
    """GSI1SK and GSI3SK: the fixed-width UTC due instant (or "~": none, last), then the plan."""
    return f"{due_at or PLAN_NO_DUE_DATE}#{plan_id}"


def plan_unassigned(portal_id: str, user_id: str, lo_id: str) -> Key:
    """When the user's plan of the LO was last unassigned: older group assignments do not bring it back."""
    return key(f"ACTIVEPLAN#{portal_id}#{user_id}#{lo_id}", "UNASSIGNED")


def plan_pk(plan_id: int | str) -> str:
    return f"PLAN#{plan_id}"


GROUP_PLAN_PROGRESS_PREFIX = "PROGRESS#"


def group_plan_progress(group_plan_id: int | str, part: str) -> Key:
    """One part of a group assignment's progress (an announcement, a batch of members), in the
    group assignment's own partition: one Query reads the assignment and all its progress."""
    return key(plan_pk(group_plan_id), f"{GROUP_PLAN_PROGRESS_PREFIX}{part}")


# --- billing (docs/product.md "Billing"): subscriptions, invoices, payments, orders ---------------

BILLING_SHARDS = 8  # GSI2 partitions of billing work that falls due: the run queries each


def subscription(subscription_id: str) -> Key:
    return key(f"SUBSCRIPTION#{subscription_id}", "SUBSCRIPTION")


def subscription_listing_pk(company_id: str, audience: str) -> str:
    """One list of a company's subscriptions: `all`, or `user#<user id>` (ordered by state,
    status, then creation)."""
    return f"SUBSCRIPTIONS#{company_id}#{audience}"


def subscription_listing(company_id: str, audience: str, sort_key: str) -> Key:
    return key(subscription_listing_pk(company_id, audience), sort_key)


def billing_due_index(shard: int) -> str:
    """GSI2 partition of subscriptions with billing work due (a period to bill, an end, a refund)."""
    return f"BILLDUE#{shard}"


def payment_due_index(shard: int) -> str:
    """GSI2 partition of payments still to be charged (a run that stopped halfway left them)."""
    return f"PAYDUE#{shard}"


def due_order(due_at: str, identifier: str) -> str:
    """GSI2 sort key of billing work: the fixed-width UTC instant, then the item's id."""
    return f"{due_at}#{identifier}"


def invoice(invoice_id: str) -> Key:
    return key(f"INVOICE#{invoice_id}", "INVOICE")


def payment(payment_id: str) -> Key:
    return key(f"PAYMENT#{payment_id}", "PAYMENT")


def user_invoices_index(company_id: str, user_id: str) -> str:
    """GSI1 partition of one user's invoices (sorted by period start)."""
    return f"INVOICES#{company_id}#{user_id}"


def user_payments_index(company_id: str, user_id: str) -> str:
    """GSI1 partition of one user's payments (sorted by creation)."""
    return f"PAYMENTS#{company_id}#{user_id}"


def order(order_id: str) -> Key:
    return key(f"ORDER#{order_id}", "ORDER")


def user_orders_index(company_id: str, user_id: str) -> str:
    """GSI1 partition of one user's orders (sorted by due time)."""
    return f"ORDERS#{company_id}#{user_id}"


def orders_to_bill_index(shard: int) -> str:
    """GSI2 partition of periodic orders not yet invoiced, sorted by their period's end, then plan."""
    return f"ORDERBILL#{shard}"


# --- payments (docs/product.md "Billing") ------------------------------------------------------


def refund(idempotency_key: str) -> Key:
    """What became of one requested refund, keyed by its Stripe idempotency key."""
    return key(f"REFUND#{idempotency_key}", "REFUND")


def payment_method(method_id: str) -> Key:
    return key(f"PAYMENTMETHOD#{method_id}", "PAYMENTMETHOD")


def user_payment_methods_index(company_id: str, user_id: str) -> str:
    """GSI1 partition of a user's payment methods in a company, sorted by creation (newest last)."""
    return f"PAYMENTMETHODS#{company_id}#{user_id}"
