"""`make bench`: runs every benchmark module of this package (each one's `main()`), in name order."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])):
        if module.startswith("_"):
            continue
        print(f"== benchmarks.{module}")
        importlib.import_module(f"benchmarks.{module}").main()
        print()


if __name__ == "__main__":
    main()
