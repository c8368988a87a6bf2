"""No function loads another area's domain code: each area's package imports only itself and
the shared packages, and each handler imports one area. (benchmarks/cold_start.py shows the
same from what a fresh interpreter actually loads.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from planhub_local.areas import AREAS, BUILT_ON
from planhub_local.template import REPO, Template

LAYER = REPO / "layers" / "planhub" / "planhub"
FUNCTIONS = Template().functions()


def _planhub_packages(module: Path) -> set[str]:
    """The `planhub.<package>` names the module imports, at its top or inside functions."""
    packages: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "planhub":
            packages |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("planhub."):
            packages.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            packages |= {a.name.split(".")[1] for a in node.names if a.name.startswith("planhub.")}
    return packages


@pytest.mark.parametrize("package", sorted(p.name for p in LAYER.iterdir() if p.is_dir() and p.name != "__pycache__"))
def test_a_layer_package_imports_no_other_area(package: str) -> None:
    allowed = {package} | BUILT_ON.get(package, frozenset())

    foreign = {
        f"{module.relative_to(LAYER)} imports planhub.{other}"
        for module in (LAYER / package).rglob("*.py")
        for other in _planhub_packages(module) & (AREAS - allowed)
    }

    assert not foreign, sorted(foreign)


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_a_handler_calls_into_one_area_at_most(logical_id: str) -> None:
    areas = _planhub_packages(FUNCTIONS[logical_id].module_path) & AREAS

    assert len(areas) <= 1, f"{logical_id} imports {sorted(areas)}"
