"""Where windows and quota periods end (UTC): the times `retryAfterSeconds` counts down to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from planhub.commercial.periods import quota_period, rate_window


def test_a_monthly_quota_of_december_ends_on_the_first_of_january() -> None:
    # Given the last second of a year
    moment = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)

    # When its monthly period is asked for
    period = quota_period(moment, "month")

    # Then it is December, ending at the new year, one second later
    assert (period.id, period.ends_at) == ("2026-12", datetime(2027, 1, 1, tzinfo=UTC))
    assert period.seconds_left(moment) == 1


def test_a_daily_quota_turns_over_at_midnight_utc_whatever_the_callers_zone() -> None:
    # Given 01:30 on the 5th in UTC+2, which is still the 4th in UTC
    moment = datetime(2026, 11, 5, 1, 30, tzinfo=timezone(timedelta(hours=2)))

    # When its daily period is asked for
    period = quota_period(moment, "day")

    # Then it is the UTC day, ending at midnight UTC
    assert (period.id, period.ends_at) == ("2026-11-04", datetime(2026, 11, 5, tzinfo=UTC))


def test_rate_windows_are_aligned_and_never_say_zero_seconds() -> None:
    # Given a moment 59.5 seconds into a minute
    moment = datetime(2026, 11, 5, 10, 0, 59, 500_000, tzinfo=UTC)

    # When its one-minute window is asked for
    window = rate_window(moment, 60)

    # Then it is that minute, with at least a second to wait
    assert (window.starts_at, window.ends_at) == (
        datetime(2026, 11, 5, 10, 0, tzinfo=UTC),
        datetime(2026, 11, 5, 10, 1, tzinfo=UTC),
    )
    assert window.seconds_left(moment) == 1
