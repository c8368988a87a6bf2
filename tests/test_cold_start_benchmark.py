"""The cold-start benchmark measures the child it starts, not the process that starts it.

Not timed tests: each checks what a figure means (whose memory, which AWS answered), not its size.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks import cold_start
from planhub_local.template import REPO, Template


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """The benchmark's moto server, holding a fresh stack of the template."""
    with cold_start._moto_server() as url:
        cold_start._fresh_stack(url)
        yield url


def _function(logical_id: str, moto_url: str) -> cold_start.Target:
    function = Template.default().functions()[logical_id]
    return cold_start.Target(
        logical_id,
        function.code_uri,
        function.handler.rpartition(".")[0],
        function.handler_name,
        REPO / "events" / f"{logical_id}.json",
        cold_start._environment({**function.environment, "AWS_ENDPOINT_URL": moto_url}),
    )


def _boto3_floor(moto_url: str) -> cold_start.Target:
    table_name = next(iter(Template.default().functions().values())).environment["TABLE_NAME"]
    return cold_start.Target(
        "floor: boto3 only",
        cold_start.FLOORS,
        "boto3_only",
        "lambda_handler",
        cold_start.FLOORS / "get_portal_event.json",
        cold_start._environment({"TABLE_NAME": table_name, "AWS_ENDPOINT_URL": moto_url}),
    )


def test_a_child_reports_its_own_peak_memory_not_its_parents(moto_url: str) -> None:
    # Given a parent far bigger than the floor (Linux keeps ru_maxrss across exec)
    ballast = b"x" * (400 * 1024 * 1024)
    # When the floor's cold start is measured in a child of it
    figures = cold_start._run_once(_boto3_floor(moto_url))
    # Then the peak reported is the child's own
    assert isinstance(figures, dict), figures
    assert figures["rss_import_kb"] < len(ballast) // 1024 // 2


def test_a_first_request_is_answered_by_the_benchmarks_moto_server(moto_url: str) -> None:
    # When a function's sample event is served in a child pointed at the server
    figures = cold_start._run_once(_function("GetPortalFunction", moto_url))
    # Then the template's table answered: the sample's portal is not there (404), no 500
    assert isinstance(figures, dict), figures
    assert figures["outcome"] == "404"
