"""Every function runs with its sample event (the one `sam local invoke -e` would use)."""

from __future__ import annotations

import json

import pytest

from planhub_local.stack import LocalStack
from planhub_local.template import REPO, Template

FUNCTIONS = sorted(Template().functions())


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_function_runs_with_its_sample_event(stack: LocalStack, logical_id: str) -> None:
    # Given the function's sample event and an empty stack
    event = json.loads((REPO / "events" / f"{logical_id}.json").read_text())

    # When Lambda would invoke it with that event
    answer = stack.invoke(logical_id, event)

    # Then it answers without crashing (an API function without a 5xx)
    if isinstance(answer, dict) and "statusCode" in answer:
        assert answer["statusCode"] < 500, answer
