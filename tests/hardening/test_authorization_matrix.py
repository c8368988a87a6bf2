"""Every route, every actor: the answer each must get, and nothing of one tenant seen from another."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hardening.matrix import CASES, Cell, run_matrix
from hardening.world import ACTORS, World, quiet, running_world
from planhub_local.template import Template


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with running_world() as populated:
        yield populated


@pytest.fixture(scope="module")
def cells(world: World) -> list[Cell]:
    with quiet():
        return run_matrix(world)


def test_every_route_of_the_template_is_in_the_matrix() -> None:
    covered = {(case.method, case.route) for case in CASES}

    missing = [f"{r.method} {r.path}" for r in Template().routes() if (r.method, r.path) not in covered]

    assert not missing, f"add these routes to hardening/matrix.py: {missing}"


def test_the_matrix_asks_every_actor_about_every_route(cells: list[Cell]) -> None:
    asked = {(cell.case.route, cell.case.method, cell.actor) for cell in cells}

    assert len(asked) == len(CASES) * len(ACTORS)


def test_every_actor_gets_the_answer_the_matrix_names(cells: list[Cell]) -> None:
    wrong = [cell.describe() for cell in cells if cell.mismatch]

    assert not wrong, "\n".join(wrong)


def test_no_outsider_reads_or_writes_an_object_of_another_portal_client_or_company(cells: list[Cell]) -> None:
    leaks = [cell.describe() for cell in cells if cell.leak]

    assert not leaks, "\n".join(leaks)


def test_no_answer_shows_a_home_object_to_someone_who_may_not_see_it(world: World, cells: list[Cell]) -> None:
    shown = [cell.describe() for cell in cells if cell.leaked_secret(world)]

    assert not shown, "\n".join(shown)


def test_a_bad_token_never_gets_past_the_authorizer(cells: list[Cell]) -> None:
    # Given tokens that are missing, expired, wrongly signed or unsigned (alg none, claiming staff)
    bad = [cell for cell in cells if cell.actor in ("anonymous", "expired", "forged", "alg_none")]

    # Then each route refuses them: 401, or 403 on the Go1 routes
    assert bad
    assert all(cell.status == (403 if cell.case.go1 else 401) for cell in bad), [c.describe() for c in bad]
