"""`make bench`: runs every benchmark module of this package (each one's `main()`), in name order."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    found = pkgutil.iter_modules([str(Path(__file__).parent)])
    for module in sorted(m.name for m in found if not m.ispkg):  # packages hold helpers (the floors)
        if module.startswith("_"):
            continue
        print(f"== benchmarks.{module}")
        importlib.import_module(f"benchmarks.{module}").main()
        print()


if __name__ == "__main__":
    main()
