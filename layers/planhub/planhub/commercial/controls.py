"""The commercial controls on billable activity: rate limit, quota, credits (docs/product.md "Plan plays").

An endpoint whose request is billable (an activity created, an activity completed) hands its
own writes to `CommercialControls.transact_billable`, which adds the admission to the same
DynamoDB transaction:

- the client item: the policy the admission was built from is still the stored one, and the
  live balance (`policy.credits.balance`) covers the cost, which it pays;
- the rate-limit counter of the current window: fewer than `requests` admitted so far;
- the quota counter of the current period: fewer than `activities` admitted so far.

So admission is one conditional write; the request's change and its credits land together
or not at all; the balance never goes below zero whatever runs concurrently; and a refused
request leaves no trace (it does not use up the window either). A refused transaction
answers with the stored items (ReturnValuesOnConditionCheckFailure), from which the first
limit that tripped, in the order rate limit, quota, balance, is told without another read.

The policy is remembered per client between requests, and the transaction checks that it
is still the stored one: a changed policy is never applied stale, since the refusal carries
the new policy and the admission is rebuilt from it. A warm function admits in one call.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from planhub.commercial.periods import Window, quota_period, rate_window
from planhub.errors import ConcurrentModification, Forbidden, LimitExceeded
from planhub.records.client import Client, Credits, Quota, RateLimit
from planhub.storage import Check, Expression, Table, TransactionCanceled, Update, Write, races
from planhub.storage import keys as table_keys
from planhub.storage.table import CancellationReason

MAX_ATTEMPTS = 4  # a stale policy or a transaction conflict is retried; more means contention
RATE_WINDOW_RETENTION = timedelta(hours=1)  # counters of past windows are never read again
QUOTA_PERIOD_RETENTION = timedelta(days=40)
SNAPSHOTS_KEPT = 1024


class LimitCode(StrEnum):
    RATE_LIMITED = "api_rate_limited"
    QUOTA_EXCEEDED = "api_quota_exceeded"
    BALANCE_EXHAUSTED = "api_balance_exhausted"


class BillableActivity(StrEnum):
    CREATE = "create"
    COMPLETION = "completion"


BILLING = "billing"
"""The key of the `Charge` in a billable event's data: what metering reads."""


class Charge(BaseModel):
    """What one admitted billable request cost the client."""

    model_config = ConfigDict(frozen=True)

    client_id: str = Field(min_length=1)
    activity: BillableActivity
    credits: int = Field(ge=0)


@dataclass(frozen=True)
class PolicySnapshot:
    """A client's commercial terms, without the live balance (which is read in the write)."""

    rate_limit: RateLimit | None
    quota: Quota | None
    credits: Credits | None

    @classmethod
    def of(cls, client_item: dict[str, Any]) -> Self:
        policy = Client.from_item(client_item).policy
        return cls(rate_limit=policy.rate_limit, quota=policy.quota, credits=policy.credits)

    def cost_of(self, activity: BillableActivity) -> int:
        if self.credits is None:
            return 0
        return self.credits.per_create if activity is BillableActivity.CREATE else self.credits.per_completion

    def same_terms_as(self, other: PolicySnapshot) -> bool:
        def costs(snapshot: PolicySnapshot) -> tuple[int, int] | None:
            credits = snapshot.credits
            return None if credits is None else (credits.per_create, credits.per_completion)

        return self.rate_limit == other.rate_limit and self.quota == other.quota and costs(self) == costs(other)


_NAMES = {
    "#policy": "policy",
    "#rate": "rate_limit",
    "#quota": "quota",
    "#credits": "credits",
    "#balance": "balance",
    "#requests": "requests",
    "#per": "per_seconds",
    "#activities": "activities",
    "#period": "period",
}
_COUNTER_NAMES = {"#count": "count", "#entity": "entity", "#ends": "ends_at", "#ttl": "ttl"}


def _absent(path: str) -> str:
    return f"(attribute_not_exists({path}) OR attribute_type({path}, :null))"


@dataclass(frozen=True)
class Admission:
    """The admission of one billable request at `now`, built from a policy snapshot."""

    client_id: str
    activity: BillableActivity
    snapshot: PolicySnapshot
    now: datetime
    rate: Window | None = field(init=False)
    period: Window | None = field(init=False)

    def __post_init__(self) -> None:
        rate_limit, quota = self.snapshot.rate_limit, self.snapshot.quota
        object.__setattr__(self, "rate", rate_window(self.now, rate_limit.per_seconds) if rate_limit else None)
        object.__setattr__(self, "period", quota_period(self.now, quota.period) if quota else None)

    @property
    def cost(self) -> int:
        return self.snapshot.cost_of(self.activity)

    @property
    def charge(self) -> Charge:
        return Charge(client_id=self.client_id, activity=self.activity, credits=self.cost)

    def writes(self) -> list[Write]:
        """The client item first, then the window and period counters that apply."""
        writes = [self._client_write()]
        if self.snapshot.rate_limit is not None and self.rate is not None:
            limit = self.snapshot.rate_limit
            key = table_keys.rate_limit_window(self.client_id, limit.per_seconds, self.rate.id)
            writes.append(self._counter(key, "rate_limit_window", self.rate, limit.requests, RATE_WINDOW_RETENTION))
        if self.snapshot.quota is not None and self.period is not None:
            key = table_keys.quota_period(self.client_id, self.period.id)
            quota = self.snapshot.quota
            writes.append(self._counter(key, "quota_period", self.period, quota.activities, QUOTA_PERIOD_RETENTION))
        return writes

    def _client_write(self) -> Write:
        """Checks the stored terms are the snapshot's, and pays the cost from the live balance."""
        snapshot = self.snapshot
        names = {"#policy": "policy"}
        values: dict[str, Any] = {}
        terms = ["attribute_exists(PK)"]

        def need(*placeholders: str) -> None:
            names.update({p: _NAMES[p] for p in placeholders})

        if snapshot.rate_limit is None:
            need("#rate")
            terms.append(_absent("#policy.#rate"))
        else:
            need("#rate", "#requests", "#per")
            terms.append("#policy.#rate.#requests = :requests AND #policy.#rate.#per = :per")
            values.update({":requests": snapshot.rate_limit.requests, ":per": snapshot.rate_limit.per_seconds})
        if snapshot.quota is None:
            need("#quota")
            terms.append(_absent("#policy.#quota"))
        else:
            need("#quota", "#activities", "#period")
            terms.append("#policy.#quota.#activities = :activities AND #policy.#quota.#period = :period")
            values.update({":activities": snapshot.quota.activities, ":period": snapshot.quota.period})
        if snapshot.credits is None:
            need("#credits")
            terms.append(_absent("#policy.#credits"))
        else:
            need("#credits")
            names["#cost"] = "per_create" if self.activity is BillableActivity.CREATE else "per_completion"
            terms.append("#policy.#credits.#cost = :cost")
            values[":cost"] = self.cost
        if any("attribute_type" in t for t in terms):
            values[":null"] = "NULL"
        key = table_keys.client(self.client_id)
        if self.cost == 0:
            return Check(key, Expression(" AND ".join(terms), names, values))
        need("#balance")
        terms.append("#policy.#credits.#balance >= :cost")
        pay = Expression("SET #policy.#credits.#balance = #policy.#credits.#balance - :cost", names, values)
        return Update(key, pay, Expression(" AND ".join(terms), names, values))

    def _counter(self, key: table_keys.Key, entity: str, window: Window, limit: int, retention: timedelta) -> Update:
        """One more admission in `window`, if fewer than `limit` were admitted before."""
        values = {
            ":zero": 0,
            ":one": 1,
            ":entity": entity,
            ":ends": window.ends_at.isoformat().replace("+00:00", "Z"),
            ":ttl": int((window.ends_at + retention).timestamp()),
        }
        return Update(
            key,
            Expression(
                "SET #count = if_not_exists(#count, :zero) + :one, #entity = :entity, #ends = :ends, #ttl = :ttl",
                dict(_COUNTER_NAMES),
                values,
            ),
            Expression("attribute_not_exists(#count) OR #count < :limit", {"#count": "count"}, {":limit": limit}),
        )

    def verdict(self, reasons: Sequence[CancellationReason]) -> Verdict:
        """Why the admission writes (`reasons` lined up with `writes()`) were refused."""
        client = reasons[0]
        failed = [r.code == "ConditionalCheckFailed" for r in reasons]
        if failed[0]:
            if client.item is None:
                return UnknownClient()
            fresh = PolicySnapshot.of(client.item)
            if not fresh.same_terms_as(self.snapshot):
                return StalePolicy(fresh)
        position = 1
        rate_limit, quota = self.snapshot.rate_limit, self.snapshot.quota
        if rate_limit is not None and self.rate is not None:
            if failed[position]:
                return Refused(
                    LimitExceeded(
                        f"Rate limit reached: {rate_limit.requests} requests per {rate_limit.per_seconds} seconds",
                        code=LimitCode.RATE_LIMITED,
                        retry_after_seconds=self.rate.seconds_left(self.now),
                    )
                )
            position += 1
        if quota is not None and self.period is not None and failed[position]:
            return Refused(
                LimitExceeded(
                    f"Quota reached: {quota.activities} activities per {quota.period}",
                    code=LimitCode.QUOTA_EXCEEDED,
                    retry_after_seconds=self.period.seconds_left(self.now),
                )
            )
        if failed[0]:
            credits = f"{self.cost} credit" if self.cost == 1 else f"{self.cost} credits"
            return Refused(
                LimitExceeded(
                    f"Credit balance exhausted: a {self.activity.value} costs {credits}",
                    code=LimitCode.BALANCE_EXHAUSTED,
                    retry_after_seconds=None,
                )
            )
        return Unexplained()


@dataclass(frozen=True)
class Refused:
    error: LimitExceeded


@dataclass(frozen=True)
class StalePolicy:
    fresh: PolicySnapshot


@dataclass(frozen=True)
class UnknownClient:
    pass


@dataclass(frozen=True)
class Unexplained:
    pass


Verdict = Refused | StalePolicy | UnknownClient | Unexplained


@dataclass(frozen=True)
class LimitStatus:
    """Where a client stands against one of its limits now: what `RateLimit-Policy` and
    `RateLimit` (IETF httpapi rate-limit headers draft) tell a caller."""

    name: str  # "rate" (the rate limit) or "quota" (the quota period)
    quota: int  # admissions per window
    window_seconds: int
    remaining: int
    reset_seconds: int  # until the window ends, as Retry-After counts it


_LIMIT_OF_CODE = {LimitCode.RATE_LIMITED: "rate", LimitCode.QUOTA_EXCEEDED: "quota"}


def _now() -> datetime:
    return datetime.now(UTC)


class CommercialControls:
    """Admits billable requests against their client's policy; usable by any billable endpoint."""

    def __init__(self, table: Table, clock: Callable[[], datetime] = _now) -> None:
        self.table = table
        self.clock = clock
        self._snapshots: dict[str, PolicySnapshot] = {}

    def transact_billable(
        self, client_id: str, activity: BillableActivity, build: Callable[[Charge], Sequence[Write]]
    ) -> Charge:
        """Writes `build(charge)` in one transaction with the admission of `activity`.

        `build` gets the charge (to put into its event's data under `BILLING`) and may be
        called again when the admission is rebuilt. Its writes come first in the
        transaction, so a `TransactionCanceled` raised from here has their reasons at their
        own positions: a failed condition of the caller's writes wins over a limit (the
        caller's change was not due, so nothing is billed). A limit raises `LimitExceeded`.
        """
        snapshot = self._snapshots.get(client_id) or self._load(client_id)
        for attempt in races.attempts(MAX_ATTEMPTS):
            admission = Admission(client_id, activity, snapshot, self.clock())
            own = list(build(admission.charge))
            try:
                self.table.transact([*own, *admission.writes()])
            except TransactionCanceled as canceled:
                if any(i < len(own) for i in canceled.failed_conditions()):
                    raise
                if canceled.is_conflict:
                    jitter = random.uniform(0.01, 0.05) * attempt.number  # noqa: S311 - jitter, not crypto
                    attempt.lost(
                        "admission met a concurrent transaction; trying again",
                        canceled,
                        client_id=client_id,
                        pause=jitter,
                    )
                    continue
                verdict = admission.verdict(canceled.reasons[len(own) :])
                match verdict:
                    case Refused(error):
                        raise error from canceled
                    case StalePolicy(fresh):
                        attempt.lost("client policy changed; admission rebuilt", canceled, client_id=client_id)
                        snapshot = self._remember(client_id, fresh)
                        continue
                    case UnknownClient():
                        self._snapshots.pop(client_id, None)
                        raise _unknown_client(client_id) from canceled
                    case _:
                        raise
            return admission.charge
        raise ConcurrentModification("The request met too much concurrent activity of this client; retry it")

    def status(self, client_id: str, *, consistent: bool, refused: LimitExceeded | None = None) -> list[LimitStatus]:
        """The client's rate limit and quota as they stand: one BatchGetItem of the current
        window's and period's counters.

        A remembered policy is checked in that same BatchGetItem (the client's item beside the
        counters), since another container may have replaced it: when it changed, the counters
        of the new terms are read once more. `consistent` after the request's own admission, so
        that it is counted; a `refused` request names the limit that tripped, which is then
        reported as used up, resetting when its `Retry-After` says.
        """
        now = self.clock()
        remembered = self._snapshots.get(client_id)
        snapshot = remembered or self._load(client_id)
        limits = self._limits_of(client_id, snapshot, now)
        client_key = table_keys.client(client_id) if remembered is not None else None
        found = self.table.found([client_key, *(limit[1] for limit in limits)], consistent=consistent)
        if client_key is not None:
            item = found.get(client_key)
            if item is None:
                self._snapshots.pop(client_id, None)
                raise _unknown_client(client_id)
            fresh = PolicySnapshot.of(item)
            if not fresh.same_terms_as(snapshot):
                snapshot = self._remember(client_id, fresh)
                limits = self._limits_of(client_id, snapshot, now)
                found = self.table.found([limit[1] for limit in limits], consistent=consistent)
        tripped = _LIMIT_OF_CODE.get(LimitCode(refused.code)) if refused is not None else None
        statuses = []
        for name, key, quota, window, seconds in limits:
            used = int((found.get(key) or {}).get("count", 0))
            remaining, reset = max(0, quota - used), window.seconds_left(now)
            if name == tripped and refused is not None and refused.retry_after_seconds is not None:
                remaining, reset = 0, refused.retry_after_seconds
            statuses.append(LimitStatus(name, quota, seconds, remaining, reset))
        return statuses

    @staticmethod
    def _limits_of(
        client_id: str, snapshot: PolicySnapshot, now: datetime
    ) -> list[tuple[str, table_keys.Key, int, Window, int]]:
        """The counters a policy's limits are counted in now: (name, key, quota, window, seconds)."""
        limits: list[tuple[str, table_keys.Key, int, Window, int]] = []
        if snapshot.rate_limit is not None:
            rate = snapshot.rate_limit
            window = rate_window(now, rate.per_seconds)
            key = table_keys.rate_limit_window(client_id, rate.per_seconds, window.id)
            limits.append(("rate", key, rate.requests, window, rate.per_seconds))
        if snapshot.quota is not None:
            period = quota_period(now, snapshot.quota.period)
            seconds = int((period.ends_at - period.starts_at).total_seconds())
            key = table_keys.quota_period(client_id, period.id)
            limits.append(("quota", key, snapshot.quota.activities, period, seconds))
        return limits

    def _load(self, client_id: str) -> PolicySnapshot:
        item = self.table.get(table_keys.client(client_id))
        if item is None:
            raise _unknown_client(client_id)
        return self._remember(client_id, PolicySnapshot.of(item))

    def _remember(self, client_id: str, snapshot: PolicySnapshot) -> PolicySnapshot:
        if len(self._snapshots) >= SNAPSHOTS_KEPT:
            self._snapshots.clear()
        self._snapshots[client_id] = snapshot
        return snapshot


def _unknown_client(client_id: str) -> Forbidden:
    return Forbidden(f"Access denied: {client_id} is not a registered API client")
