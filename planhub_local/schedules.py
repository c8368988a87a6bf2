"""The template's schedules, fired locally at their `rate(...)` / `cron(...)` times.

EventBridge invokes a scheduled function asynchronously with a "Scheduled Event" whose
`time` is the moment the schedule fired for; a failed invocation is retried (the rule's
`RetryPolicy`), then dead-lettered. `Scheduler` does the same on the local stack: each
schedule of `template.yaml` (`Type: Schedule` events) fires when its next time has come, by
a `Clock` (the wall clock, or an accelerated one for tests and hardening). A schedule that
missed several times (the machine slept, the clock jumped) fires once, for the latest time
that came, as EventBridge does not catch up either; planhub's scheduled functions catch up
by themselves.

`make local` runs a `Scheduler` unless switched off (`SCHEDULES=off`, or `--no-schedules`);
the tests and benchmarks never start one unless they ask. `POST /_local/invoke/{Function}`
still runs a scheduled function on demand.

Expressions: `rate(N minute|minutes|hour|hours|day|days)` fires at whole multiples of N
(UTC, from the epoch), `cron(minutes hours day-of-month month day-of-week year)` in UTC with
`*`, `?`, values, names (JAN-DEC, SUN-SAT), ranges, lists and `/` steps; `L`, `W` and `#`
are refused at start (the template uses none).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from planhub_local.template import ACCOUNT, REGION, Template


class Invoker(Protocol):
    def invoke_async(self, function: str, rule: str, event: dict[str, Any], max_retries: int) -> None: ...


# --- expressions -------------------------------------------------------------------------

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Expression(Protocol):
    def next_after(self, moment: datetime) -> datetime:
        """The first firing time strictly after `moment`."""
        ...


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, moment: datetime) -> datetime:
        elapsed = int((moment - _EPOCH).total_seconds())
        return _EPOCH + timedelta(seconds=(elapsed // self.seconds + 1) * self.seconds)


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """The values a cron field allows; None for `*` and `?` (any)."""
    if text in ("*", "?"):
        return None
    if any(mark in text for mark in ("L", "W", "#")) and not (names and text.upper() in names):
        raise ValueError(f"cron field {text!r}: L, W and # are not supported locally")

    def value(token: str) -> int:
        number = (names or {}).get(token.upper())
        if number is None:
            number = int(token)
        if not low <= number <= high:
            raise ValueError(f"cron value {token!r} is outside {low}-{high}")
        return number

    allowed: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"cron step {part!r} must be positive")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            start, end = span.split("-", 1)
            first, last = value(start), value(end)
        else:
            first = value(span)
            last = high if step_text else first
        allowed.update(range(first, last + 1, step))
    return frozenset(allowed)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int] | None
    hours: frozenset[int] | None
    days_of_month: frozenset[int] | None
    months: frozenset[int] | None
    days_of_week: frozenset[int] | None  # 1 = Sunday, as EventBridge counts
    years: frozenset[int] | None

    @classmethod
    def parse(cls, fields: str) -> Cron:
        parts = fields.split()
        if len(parts) != 6:
            raise ValueError(f"cron({fields}) needs 6 fields: minutes hours day-of-month month day-of-week year")
        minute, hour, dom, month, dow, year = parts
        if (dom == "?") == (dow == "?"):
            raise ValueError(f"cron({fields}): exactly one of day-of-month and day-of-week must be '?'")
        return cls(
            _field(minute, 0, 59),
            _field(hour, 0, 23),
            _field(dom, 1, 31),
            _field(month, 1, 12, _MONTHS),
            _field(dow, 1, 7, _DAYS),
            _field(year, 1970, 2199),
        )

    def _day_allowed(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7 + 1  # Monday is 0 in Python, 2 in cron
        return (self.days_of_month is None or moment.day in self.days_of_month) and (
            self.days_of_week is None or weekday in self.days_of_week
        )

    def next_after(self, moment: datetime) -> datetime:
        candidate = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = candidate + timedelta(days=366 * 5)
        while candidate < limit:
            midnight = candidate.replace(hour=0, minute=0)
            if self.years is not None and candidate.year not in self.years:
                candidate = datetime(candidate.year + 1, 1, 1, tzinfo=UTC)
            elif self.months is not None and candidate.month not in self.months:
                first = candidate.replace(day=1, hour=0, minute=0)
                candidate = (first + timedelta(days=32)).replace(day=1)
            elif not self._day_allowed(candidate):
                candidate = midnight + timedelta(days=1)
            elif self.hours is not None and candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0) + timedelta(hours=1)
            elif self.minutes is not None and candidate.minute not in self.minutes:
                candidate += timedelta(minutes=1)
            else:
                return candidate
        raise ValueError("the cron expression never fires in the next five years")


def parse(expression: str) -> Expression:
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if count < 1:
            raise ValueError(f"{expression}: the rate must be positive")
        return Rate(count * _UNITS[unit])
    cron = _CRON.match(text)
    if cron:
        return Cron.parse(cron.group(1))
    raise ValueError(f"{expression!r} is neither rate(...) nor cron(...)")


# --- the template's schedules ------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    name: str  # the rule's local name: <FunctionLogicalId>-<EventName>
    function: str
    expression: str
    max_retries: int
    enabled: bool = True
    input: dict[str, Any] | None = None

    @property
    def timing(self) -> Expression:
        return parse(self.expression)

    @property
    def rule_arn(self) -> str:
        return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{self.name}"

    def event(self, moment: datetime) -> dict[str, Any]:
        """What EventBridge delivers: a Scheduled Event for `moment` (or the rule's constant Input)."""
        if self.input is not None:
            return dict(self.input)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [self.rule_arn],
            "detail": {},
        }


def schedules_of(template: Template) -> list[Schedule]:
    import json

    found = []
    for function in template.functions().values():
        for event_name, event in function.events.items():
            if event["Type"] not in ("Schedule", "ScheduleV2"):
                continue
            props = template.resolve(event["Properties"])
            expression = props.get("Schedule") or props.get("ScheduleExpression")
            retries = (props.get("RetryPolicy") or {}).get("MaximumRetryAttempts", function.max_async_retries)
            enabled = props.get("Enabled", True) and props.get("State", "ENABLED") == "ENABLED"
            constant = props.get("Input")
            found.append(
                Schedule(
                    name=f"{function.logical_id}-{event_name}",
                    function=function.logical_id,
                    expression=str(expression),
                    max_retries=int(retries),
                    enabled=bool(enabled),
                    input=json.loads(constant) if constant else None,
                )
            )
    return found


# --- clocks and the scheduler ------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> datetime: ...

    def real_seconds(self, span: timedelta) -> float:
        """How long `span` of this clock's time lasts on the wall clock."""
        ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def real_seconds(self, span: timedelta) -> float:
        return span.total_seconds()


class AcceleratedClock:
    """Time running `factor` times faster than the wall clock, from `start` (default: now).

    It starts running when first read (the scheduler reads it when it is built), so that
    building the stack first does not use up accelerated time.
    """

    def __init__(self, factor: float, start: datetime | None = None) -> None:
        self.factor = factor
        self.start = start or datetime.now(UTC)
        self._started: float | None = None

    def now(self) -> datetime:
        if self._started is None:
            self._started = time.monotonic()
        return self.start + timedelta(seconds=(time.monotonic() - self._started) * self.factor)

    def real_seconds(self, span: timedelta) -> float:
        return span.total_seconds() / self.factor


@dataclass
class Fired:
    schedule: str
    function: str
    time: datetime


@dataclass
class Scheduler:
    """Fires `schedules` on `invoker` (the LocalStack) at their times by `clock`, in a thread of its own."""

    invoker: Invoker
    schedules: list[Schedule]
    clock: Clock = field(default_factory=WallClock)
    fired: list[Fired] = field(default_factory=list)

    def __post_init__(self) -> None:
        now = self.clock.now()
        self._active = [s for s in self.schedules if s.enabled]
        self._next = {s.name: s.timing.next_after(now) for s in self._active}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedules", daemon=True)

    def run_due(self) -> int:
        """Fires every schedule whose time has come (once each, for its latest due time); answers how many."""
        now = self.clock.now()
        count = 0
        for schedule in self._active:
            due = self._next[schedule.name]
            if due > now:
                continue
            timing = schedule.timing
            while (later := timing.next_after(due)) <= now:
                due = later
            self._next[schedule.name] = timing.next_after(due)
            self.fired.append(Fired(schedule.name, schedule.function, due))
            self.invoker.invoke_async(schedule.function, schedule.name, schedule.event(due), schedule.max_retries)
            count += 1
        return count

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        import sys

        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception as error:  # noqa: BLE001 - a schedule's failure is logged; the others go on
                print(f"schedules: {type(error).__name__}: {error}", file=sys.stderr)
            if not self._next:
                return
            wait = min(self._next.values()) - self.clock.now()
            self._stop.wait(min(1.0, max(0.01, self.clock.real_seconds(wait))))
