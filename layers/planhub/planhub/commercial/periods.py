"""Where the rate-limit windows and the quota periods of a moment begin and end (UTC).

Rate-limit windows are fixed and aligned to the Unix epoch: with `per_seconds` 60 a window
runs from one whole minute to the next. Quota periods are calendar days or calendar months
in UTC, so every client's day and month turn over at the same instant whatever its users'
time zones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

QuotaPeriodKind = Literal["day", "month"]


@dataclass(frozen=True)
class Window:
    """A stretch of time with a name (`id`) that counters are kept under."""

    id: str
    starts_at: datetime
    ends_at: datetime

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until the window closes, at least 1 (what `Retry-After` says)."""
        return max(1, math.ceil((self.ends_at - now).total_seconds()))


def rate_window(now: datetime, per_seconds: int) -> Window:
    epoch_seconds = int(now.timestamp())
    start = epoch_seconds - epoch_seconds % per_seconds
    return Window(
        id=str(start),
        starts_at=datetime.fromtimestamp(start, UTC),
        ends_at=datetime.fromtimestamp(start + per_seconds, UTC),
    )


def quota_period(now: datetime, kind: QuotaPeriodKind) -> Window:
    now = now.astimezone(UTC)
    if kind == "day":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return Window(id=start.strftime("%Y-%m-%d"), starts_at=start, ends_at=start + timedelta(days=1))
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return Window(id=start.strftime("%Y-%m"), starts_at=start, ends_at=end)


def usage_period(moment: datetime) -> str:
    """The month (YYYY-MM, UTC) usage totals are kept under."""
    return moment.astimezone(UTC).strftime("%Y-%m")
