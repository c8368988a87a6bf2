"""The hardening package's modules depend one way: no module imports one that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "hardening"


def _imports(path: Path) -> set[str]:
    """The hardening modules `path` imports, at run time or for type checking alone."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hardening."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("hardening.")}
    return found


def test_the_hardening_modules_import_each_other_one_way() -> None:
    graph = {path.stem: _imports(path) for path in PACKAGE.glob("*.py")}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycles.append([*trail[trail.index(module) :], module])
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, [*trail, module])

    for module in sorted(graph):
        visit(module, [])

    assert not cycles, cycles
