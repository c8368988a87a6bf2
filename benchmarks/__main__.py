"""`make bench`: runs every benchmark module of this package (each one's `main()`), in name order."""

from __future__ import annotations

import importlib
import pkgutil
import time
import traceback
from pathlib import Path


def main() -> None:
    failed: list[str] = []
    found = pkgutil.iter_modules([str(Path(__file__).parent)])
    for module in sorted(m.name for m in found if not m.ispkg):  # packages hold helpers (the floors)
        if module.startswith("_"):
            continue
        print(f"== benchmarks.{module}", flush=True)
        started = time.monotonic()
        try:
            importlib.import_module(f"benchmarks.{module}").main()
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(module)
        print(f"(benchmarks.{module}: {time.monotonic() - started:.0f} s)\n", flush=True)
    if failed:
        raise SystemExit(f"benchmarks that did not finish: {', '.join(failed)}")


if __name__ == "__main__":
    main()
