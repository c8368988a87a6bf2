"""The template's schedules fire by themselves on `make local`, at their times; a switch turns them off."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from planhub_local.schedules import AcceleratedClock, Cron, Rate, Schedule, Scheduler, parse, schedules_of
from planhub_local.server import LocalApi, schedules_enabled
from planhub_local.template import Template


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_rates_fire_at_whole_multiples_of_their_period() -> None:
    assert parse("rate(1 minute)").next_after(at("2026-11-23T10:41:30")) == at("2026-11-23T10:42:00")
    assert parse("rate(1 minute)").next_after(at("2026-11-23T10:42:00")) == at("2026-11-23T10:43:00")
    assert parse("rate(5 minutes)").next_after(at("2026-11-23T10:41:00")) == at("2026-11-23T10:45:00")
    assert parse("rate(2 hours)") == Rate(7200)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 7 * * ? *)", "2026-11-23T06:59:59", "2026-11-23T07:00:00"),
        ("cron(0 7 * * ? *)", "2026-11-23T07:00:00", "2026-11-24T07:00:00"),
        ("cron(15,45 * * * ? *)", "2026-11-23T10:20:00", "2026-11-23T10:45:00"),
        ("cron(0/20 9-10 * * ? *)", "2026-11-23T10:50:00", "2026-11-24T09:00:00"),
        ("cron(0 12 ? * MON-FRI *)", "2026-11-27T13:00:00", "2026-11-30T12:00:00"),  # Friday -> Monday
        ("cron(0 12 ? * 1 *)", "2026-11-23T00:00:00", "2026-11-29T12:00:00"),  # 1 is Sunday
        ("cron(0 0 1 JAN ? 2027)", "2026-11-23T00:00:00", "2027-01-01T00:00:00"),
        ("cron(30 8 31 * ? *)", "2026-11-23T00:00:00", "2026-12-31T08:30:00"),
    ],
)
def test_cron_expressions_fire_at_their_next_time(expression: str, after: str, expected: str) -> None:
    assert parse(expression).next_after(at(after)) == at(expected)


@pytest.mark.parametrize("expression", ["cron(0 7 * * * *)", "cron(0 7 L * ? *)", "cron(0 7 ? * 2#1 *)", "every day"])
def test_expressions_the_local_stack_cannot_honour_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        parse(expression)


def test_every_schedule_of_the_template_is_understood() -> None:
    schedules = {s.name: s for s in schedules_of(Template.default())}

    assert schedules["PublishDueOrdersFunction-EveryMinute"].expression == "rate(1 minute)"
    assert schedules["SendPlanNoticesFunction-Daily"].expression == "cron(0 7 * * ? *)"
    for schedule in schedules.values():
        assert isinstance(schedule.timing, (Rate, Cron))
        assert schedule.max_retries == 2


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def real_seconds(self, span: timedelta) -> float:
        return 0.0


class Recorder:
    def __init__(self) -> None:
        self.invoked: list[tuple[str, str, dict[str, Any], int]] = []

    def invoke_async(self, function: str, rule: str, event: dict[str, Any], max_retries: int) -> None:
        self.invoked.append((function, rule, event, max_retries))


def test_the_scheduler_fires_each_schedule_when_its_time_comes_with_a_scheduled_event() -> None:
    clock = FakeClock(at("2026-11-23T06:58:30"))
    recorder = Recorder()
    minute = Schedule("Tick-EveryMinute", "TickFunction", "rate(1 minute)", 2)
    daily = Schedule("Notice-Daily", "NoticeFunction", "cron(0 7 * * ? *)", 1)
    scheduler = Scheduler(recorder, [minute, daily], clock)

    assert scheduler.run_due() == 0
    clock.moment = at("2026-11-23T06:59:00")
    assert scheduler.run_due() == 1
    clock.moment = at("2026-11-23T07:00:05")
    assert scheduler.run_due() == 2
    clock.moment = at("2026-11-23T07:00:50")
    assert scheduler.run_due() == 0

    fired = [(function, event["time"]) for function, _, event, _ in recorder.invoked]
    assert fired == [
        ("TickFunction", "2026-11-23T06:59:00Z"),
        ("TickFunction", "2026-11-23T07:00:00Z"),
        ("NoticeFunction", "2026-11-23T07:00:00Z"),
    ]
    _, rule, event, retries = recorder.invoked[-1]
    assert (rule, retries) == ("Notice-Daily", 1)
    assert (event["detail-type"], event["source"]) == ("Scheduled Event", "aws.events")
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/Notice-Daily"]


def test_a_schedule_that_missed_several_times_fires_once_for_the_latest() -> None:
    clock = FakeClock(at("2026-11-23T10:00:30"))
    recorder = Recorder()
    scheduler = Scheduler(recorder, [Schedule("Tick-EveryMinute", "TickFunction", "rate(1 minute)", 2)], clock)

    clock.moment = at("2026-11-23T10:07:10")  # the machine slept through six ticks
    assert scheduler.run_due() == 1
    assert recorder.invoked[0][2]["time"] == "2026-11-23T10:07:00Z"
    clock.moment = at("2026-11-23T10:08:00")
    assert scheduler.run_due() == 1


def _wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def test_the_templates_schedules_fire_by_themselves_on_the_running_stack() -> None:
    # A minute passes in half a second, from 06:59: the every-minute tick and the 07:00 daily run.
    clock = AcceleratedClock(120, start=at("2026-11-23T06:59:00"))
    api = LocalApi(schedules=True, clock=clock)
    api.start()
    try:
        wanted = {"PublishDueOrdersFunction-EveryMinute", "SendPlanNoticesFunction-Daily"}
        fired = _wait_for(lambda: wanted <= {d.rule for d in api.stack.delivered}, 30)
        assert fired, [d.rule for d in api.stack.delivered]
    finally:
        api.stop()
    assert api.stack.failures == []
    times = {f.schedule: f.time for f in api.scheduler.fired} if api.scheduler else {}
    assert times["SendPlanNoticesFunction-Daily"] == at("2026-11-23T07:00:00")


def test_the_switch_turns_the_schedules_off() -> None:
    assert schedules_enabled([], {}) is True
    assert schedules_enabled([], {"PLANHUB_SCHEDULES": "off"}) is False
    assert schedules_enabled([], {"PLANHUB_SCHEDULES": "0"}) is False
    assert schedules_enabled(["--no-schedules"], {}) is False

    clock = AcceleratedClock(600, start=at("2026-11-23T06:59:00"))
    api = LocalApi(schedules=schedules_enabled([], {"PLANHUB_SCHEDULES": "off"}), clock=clock)
    api.start()
    try:
        time.sleep(1.0)  # ten minutes of schedule time
    finally:
        api.stop()
    assert api.scheduler is None
    assert api.stack.delivered == []


def test_a_local_api_fires_nothing_unless_asked() -> None:
    # Tests and benchmarks build stacks without schedules; only `make local` turns them on.
    api = LocalApi()
    try:
        assert api.scheduler is None
    finally:
        api.stop()
