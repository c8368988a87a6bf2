"""Metering of billable events and GET /api/usage (docs/product.md "Plan plays")."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from planhub_local.stack import LocalStack
from tests.conftest import Api
from tests.plan_plays.conftest import CLIENT, OTHER_CLIENT, PlanPlaySteps, learner, staff

METERING = "MeterBillableActivityFunction"


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def test_usage_totals_count_creates_completions_and_credits_once_events_are_processed(
    api: Api, stack: LocalStack, plays: PlanPlaySteps
) -> None:
    # Given three plan plays created, two completed, one paused (not billable)
    plays.client(credits={"balance": 100, "per_create": 2, "per_completion": 5})
    token = learner()
    created = [plays.create(token, f"plan-{n}") for n in range(3)]
    for play in created[:2]:
        plays.complete(token, play["id"])
    api.patch(f"/api/plan-plays/{created[2]['id']}", {"status": "paused"}, token=token)

    # When the events have been processed
    stack.drain()

    # Then this month's usage counts each billable activity once
    assert plays.usage() == {
        "clientId": CLIENT,
        "period": this_month(),
        "activities": 5,
        "creates": 3,
        "completions": 2,
        "creditsConsumed": 3 * 2 + 2 * 5,
    }
    assert not stack.failures


def test_a_redelivered_billable_event_is_counted_once(api: Api, stack: LocalStack, plays: PlanPlaySteps) -> None:
    # Given a create that has been metered
    plays.client(credits={"balance": 10, "per_create": 1, "per_completion": 0})
    plays.create(learner())
    stack.drain()
    delivered = next(d.event for d in stack.delivered if d.function == METERING)

    # When EventBridge delivers the same event again
    stack.invoke(METERING, copy.deepcopy(delivered))

    # Then the usage is unchanged
    usage = plays.usage()
    assert (usage["creates"], usage["creditsConsumed"]) == (1, 1)


def test_usage_counts_in_the_month_the_event_occurred(api: Api, stack: LocalStack, plays: PlanPlaySteps) -> None:
    # Given a create that happened in the last millisecond of October, delivered late
    plays.client()
    plays.create(learner())
    stack.drain()
    event = copy.deepcopy(next(d.event for d in stack.delivered if d.function == METERING))
    event["detail"]["id"] = "late-event-1"
    event["detail"]["occurred_at"] = "2026-10-31T23:59:59.999Z"

    # When it is metered now
    stack.invoke(METERING, event)

    # Then it counts for October
    assert plays.usage(period="2026-10")["creates"] == 1


def test_the_admin_client_view_shows_the_live_balance_and_this_months_usage(
    api: Api, stack: LocalStack, plays: PlanPlaySteps
) -> None:
    # Given a created and completed plan play, metered
    plays.client(credits={"balance": 10, "per_create": 1, "per_completion": 3})
    token = learner()
    plays.complete(token, plays.create(token)["id"])
    stack.drain()

    # When staff look at the client
    view = api.get(f"/admin/clients/{CLIENT}", token=staff()).json()

    # Then they see what was paid and this month's totals
    assert view["balance"] == 6
    assert view["usage"] == {
        "period": this_month(),
        "activities": 2,
        "creates": 1,
        "completions": 1,
        "credits_consumed": 4,
    }


def test_a_client_reads_its_own_usage(api: Api, stack: LocalStack, plays: PlanPlaySteps) -> None:
    # Given a client's metered create
    plays.client()
    token = learner()
    plays.create(token)
    stack.drain()

    # When one of its users asks for the usage, naming no client and no period
    answer = api.get("/api/usage", token=token)

    # Then they get their client's usage of this month
    assert answer.status == 200
    data = answer.json()["data"]
    assert (data["clientId"], data["period"], data["creates"]) == (CLIENT, this_month(), 1)


def test_another_clients_usage_is_access_denied(api: Api, plays: PlanPlaySteps) -> None:
    # Given two clients
    plays.client()
    plays.client(OTHER_CLIENT)

    # When a user of one asks for the other's usage
    answer = api.get(f"/api/usage?clientId={OTHER_CLIENT}", token=learner())

    # Then access is denied
    assert answer.status == 403
    assert answer.json() == {"error": "Access denied"}


def test_usage_of_an_unknown_client_is_not_found(api: Api, plays: PlanPlaySteps) -> None:
    # Given no client c-nobody

    # When staff ask for its usage
    answer = api.get("/api/usage?clientId=c-nobody", token=staff())

    # Then it is not found
    assert answer.status == 404
    assert "error" in answer.json()


def test_usage_of_a_month_without_activity_is_zero(api: Api, stack: LocalStack, plays: PlanPlaySteps) -> None:
    # Given a client active this month
    plays.client()
    plays.create(learner())
    stack.drain()

    # When its usage of another month is asked for
    usage = plays.usage(period="2020-01")

    # Then every total is zero
    assert (usage["activities"], usage["creates"], usage["completions"], usage["creditsConsumed"]) == (0, 0, 0, 0)


def test_a_period_that_is_not_a_month_is_refused(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When usage is asked for a period that is not YYYY-MM
    answer = api.get(f"/api/usage?clientId={CLIENT}&period=2026-13", token=staff())

    # Then it is a 400 naming the period
    assert answer.status == 400
    assert [d["field"] for d in answer.json()["details"]] == ["query.period"]


def test_usage_without_a_token_is_unauthorized(api: Api, plays: PlanPlaySteps) -> None:
    # Given a client
    plays.client()

    # When usage is asked for without a token
    answer = api.get(f"/api/usage?clientId={CLIENT}")

    # Then the gateway answers 401
    assert answer.status == 401
