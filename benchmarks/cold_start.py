"""Cold start of every function of template.yaml, beside two floors measured in the same run.

    .venv/bin/python -m benchmarks.cold_start        (BENCH_REPEATS=5 for more runs)
    BENCH_FUNCTIONS=GetPlanFunction,GetPortalFunction .venv/bin/python -m benchmarks.cold_start

BENCH_FUNCTIONS (comma-separated logical ids) measures only those functions, beside the
floors; by default every function of template.yaml is measured (3 rounds take minutes).

Each figure is the median over BENCH_REPEATS fresh interpreters (`python -I`, one per run):
the time to import the handler module with the function's own environment from template.yaml
(plus the local stack's settings) and the layer on sys.path, the peak RSS after that import
(VmHWM in the child), and the time to serve its sample event (events/<LogicalId>.json)
once. The first request's AWS calls go over HTTP to one moto server (moto's own server mode)
that this process runs, holding the template's resources, reset and created afresh for each
round, as a deployed function's calls go over the network to AWS; so a child loads nothing of
moto and costs a cold start, not a whole local stack (80 functions x 3 rounds of children
once took 30-50 minutes, almost all of it building a stack per child). The import is also
given as the fastest of the runs, beside the floor's fastest: a busy machine only adds time.
Floors: `boto3_only` imports boto3 and makes a client; `libraries` adds Powertools' REST
resolver with validation and one pydantic model.
The first request's floor is the libraries floor serving one GET.

Also checked: each function's CodeUri holds only its own code, and which of the layer's
domain packages its import loads. A function's area is the domain package its handler
calls into (what app.py imports from `planhub.<area>`); loading any other area's package is
named per function and counted ("functions loading another area's domain code"). The areas
and the ones built on another are `planhub_local.areas`, the list tests/test_areas.py
enforces; every other package of the layer is shared and no area.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import statistics
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import boto3

from planhub_local import moto_patches
from planhub_local.areas import AREAS, BUILT_ON
from planhub_local.stack import DEFAULT_JWT_SECRET, LOCAL_ENVIRONMENT, LocalStack, use_session
from planhub_local.stripe_endpoint import StripeEndpoint
from planhub_local.template import REPO, Template

CHILD = Path(__file__).with_name("_cold_child.py")
FLOORS = Path(__file__).with_name("floors")
IMPORT_TARGET = 1.2  # issue 8: at most 1.2x the libraries floor


@dataclass
class Figures:
    name: str
    import_s: float
    first_request_s: float
    rss_mb: float
    modules: int
    outcome: str
    packages: list[str]
    xray: bool
    areas: frozenset[str] = frozenset()  # the domain packages its handler imports
    import_ratio: float = 1.0  # median, per round, of import / the libraries floor's import
    total_ratio: float = 1.0
    best_import_s: float = 0.0  # the fastest import of all rounds
    best_ratio: float = 1.0  # fastest import / the libraries floor's fastest import


def _environment(function_environment: dict[str, str]) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **LOCAL_ENVIRONMENT,
        "JWT_SECRET": DEFAULT_JWT_SECRET,
        **function_environment,
    }


@contextmanager
def _moto_server() -> Iterator[str]:
    """moto in server mode on a free port, patched as the local stack's moto is: its URL.

    This process's own clients (the stack's creation) use it too, through `AWS_ENDPOINT_URL`,
    from a session of their own: clients cached by a benchmark run before this one in the same
    process point at another moto (or at AWS).
    """
    from moto.server import ThreadedMotoServer  # only this benchmark serves moto

    moto_patches.apply()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per AWS call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    with mock.patch.dict(os.environ, {**LOCAL_ENVIRONMENT, "AWS_ENDPOINT_URL": url}):
        use_session(boto3.session.Session())
        try:
            yield url
        finally:
            server.stop()
            use_session(None)


def _fresh_stack(moto_url: str) -> None:
    """The template's resources, and nothing else, in the moto server: one round's starting point."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=30).close()
    LocalStack().create()


def _run_once(target: Target) -> dict[str, Any] | str:
    """One fresh interpreter: its figures, or why it crashed."""
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            str(CHILD),
            str(target.code_dir),
            target.module,
            target.handler,
            str(target.event),
            str(REPO),
        ],
        env=target.env,
        capture_output=True,
        text=True,
        check=False,
        cwd=target.code_dir,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"crashed: {tail[0][:80]}"
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


@dataclass
class Target:
    name: str
    code_dir: Path
    module: str
    handler: str
    event: Path
    env: dict[str, str]
    areas: frozenset[str] = frozenset()


def _areas(handler_module: Path) -> frozenset[str]:
    """The domain packages the handler module imports from (`planhub.<area>...`)."""
    tree = ast.parse(handler_module.read_text())
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    modules += [alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names]
    packages = {parts[1] for parts in (m.split(".") for m in modules) if parts[0] == "planhub" and len(parts) > 1}
    return frozenset(packages & AREAS)


def _foreign(row: Figures) -> list[str]:
    """The domain packages of other areas that the function's import loads."""
    own = set(row.areas)
    for area in row.areas:
        own |= BUILT_ON.get(area, frozenset())
    return sorted((set(row.packages) & AREAS) - own)


def _summarise(
    name: str, runs: list[dict[str, Any]], floor_runs: list[dict[str, Any]], areas: frozenset[str] = frozenset()
) -> Figures:
    # Rounds interleave every target, so each run is compared with the floor of its own round:
    # a busy moment of the machine weighs on both sides of the ratio.
    return Figures(
        name=name,
        import_s=statistics.median(r["import_s"] for r in runs),
        first_request_s=statistics.median(r["first_request_s"] for r in runs),
        rss_mb=statistics.median(r["rss_import_kb"] for r in runs) / 1024,
        modules=int(statistics.median(r["modules"] for r in runs)),
        outcome=runs[-1]["outcome"],
        packages=runs[-1]["planhub_packages"],
        xray=bool(runs[-1]["xray_loaded"]),
        areas=areas,
        import_ratio=statistics.median(r["import_s"] / f["import_s"] for r, f in zip(runs, floor_runs, strict=True)),
        total_ratio=statistics.median(
            (r["import_s"] + r["first_request_s"]) / (f["import_s"] + f["first_request_s"])
            for r, f in zip(runs, floor_runs, strict=True)
        ),
        # A busy machine only ever adds time, so the fastest of the rounds is the figure least
        # disturbed by it (timeit's reasoning); printed beside the median, not instead of it.
        best_import_s=min(r["import_s"] for r in runs),
        best_ratio=min(r["import_s"] for r in runs) / min(f["import_s"] for f in floor_runs),
    )


def _package_contents(code_dir: Path) -> list[str]:
    return sorted(
        str(p.relative_to(code_dir))
        for p in code_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def main() -> None:
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    only = os.environ.get("BENCH_FUNCTIONS", "")  # comma-separated logical ids, for quick runs
    functions = Template.default().functions()
    # Stripe calls of a first request go to a local Stripe test endpoint, as in `make local`.
    stripe = StripeEndpoint().start()
    try:
        with _moto_server() as moto_url:
            _measure(repeats, only, functions, {"STRIPE_API_BASE": stripe.url, "AWS_ENDPOINT_URL": moto_url}, moto_url)
    finally:
        stripe.stop()


def _measure(repeats: int, only: str, functions: dict[str, Any], local: dict[str, str], moto_url: str) -> None:  # noqa: PLR0912 - a report: one branch per figure
    table_env = {"TABLE_NAME": functions[next(iter(functions))].environment["TABLE_NAME"], **local}
    floor_event = FLOORS / "get_portal_event.json"
    targets = [
        Target("floor: boto3 only", FLOORS, "boto3_only", "lambda_handler", floor_event, _environment(table_env)),
        Target("floor: libraries", FLOORS, "libraries", "lambda_handler", floor_event, _environment(table_env)),
    ]
    notes: list[str] = []
    for logical_id, function in sorted(functions.items()):
        if only and logical_id not in only.split(","):
            continue
        targets.append(
            Target(
                logical_id,
                function.code_uri,
                function.handler.rpartition(".")[0],
                function.handler_name,
                REPO / "events" / f"{logical_id}.json",
                _environment({**function.environment, **local}),
                _areas(function.code_uri / f"{function.handler.rpartition('.')[0]}.py"),
            )
        )
        contents = _package_contents(function.code_uri)
        if contents != ["app.py"]:
            notes.append(f"{logical_id}: CodeUri {function.code_uri.relative_to(REPO)} holds {contents}")

    runs: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
    crashed: dict[str, str] = {}
    for _ in range(repeats):
        _fresh_stack(moto_url)
        for target in targets:
            if target.name in crashed:
                continue
            figures = _run_once(target)
            if isinstance(figures, str):
                crashed[target.name] = figures
            else:
                runs[target.name].append(figures)
    boto3_runs, library_runs = runs[targets[0].name], runs[targets[1].name]
    boto3_floor = _summarise(targets[0].name, boto3_runs, library_runs)
    rows = [boto3_floor] + [
        _summarise(t.name, runs[t.name], library_runs, t.areas) for t in targets[1:] if t.name not in crashed
    ]
    functions_rows = [r for r in rows if not r.name.startswith("floor")]
    foreign_notes = [
        f"{r.name} (area {', '.join(sorted(r.areas)) or 'none'}): loads {', '.join(_foreign(r))}"
        for r in functions_rows
        if _foreign(r)
    ]

    print(f"median of {repeats} rounds, one fresh interpreter per function per round; ratios per round")
    width = max(len(r.name) for r in rows)
    print(
        f"{'function'.ljust(width)}  import ms  x libs  best ms  x libs  first req ms  cold total ms  x libs"
        "  peak RSS MB  modules  xray  answer"
    )
    met = 0
    met_best = 0
    for row in rows:
        total = row.import_s + row.first_request_s
        print(
            f"{row.name.ljust(width)}  {row.import_s * 1000:9.0f}  {row.import_ratio:6.2f}"
            f"  {row.best_import_s * 1000:7.0f}  {row.best_ratio:6.2f}"
            f"  {row.first_request_s * 1000:12.0f}  {total * 1000:13.0f}  {row.total_ratio:6.2f}"
            f"  {row.rss_mb:11.1f}  {row.modules:7d}  {'yes' if row.xray else 'no':>4}  {row.outcome}"
        )
        if not row.name.startswith("floor"):
            met += row.import_ratio <= IMPORT_TARGET
            met_best += row.best_ratio <= IMPORT_TARGET
    for name, why in crashed.items():
        print(f"{name.ljust(width)}  {why}")
    print(f"\nimport within {IMPORT_TARGET}x the libraries floor: {met} of {len(rows) - 2} functions (median ratio)")
    print(
        f"import within {IMPORT_TARGET}x the libraries floor: {met_best} of {len(rows) - 2} functions (fastest import)"
    )
    authorizer = next((r for r in rows if r.name == "AuthorizerFunction"), None)
    if authorizer is not None:
        per_round = [a["import_s"] / b["import_s"] for a, b in zip(runs["AuthorizerFunction"], boto3_runs, strict=True)]
        print(f"authorizer import: {statistics.median(per_round):.2f}x the boto3-only floor")
    print(f"functions loading another area's domain code: {len(foreign_notes)} of {len(functions_rows)}")
    for note in foreign_notes:
        print(f"  {note}")
    print("deployment packages: each CodeUri holds only its app.py" if not notes else "")
    for note in notes:
        print(f"  {note}")


if __name__ == "__main__":
    main()
