"""Loads a seed file of catalog records through the admin API: the same validation and
code path as a staff member's PUTs.

    python -m planhub_local.seed --url http://127.0.0.1:3000 seeds/demo.json
    PLANHUB_TOKEN=<staff jwt> python -m planhub_local.seed --url https://<api>/prod seeds/demo.json

The file holds lists per kind (see seeds/demo.json); each record's ids go into the path,
the rest is the PUT body.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from planhub_local import tokens


class Sender(Protocol):
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str] | None = None, body: bytes | str | None = None
    ) -> Any: ...


# kind -> (path of a record, the fields that go into the path rather than the body)
KINDS: dict[str, tuple[Callable[[dict[str, Any]], str], tuple[str, ...]]] = {
    "portals": (lambda r: f"/admin/portals/{r['id']}", ("id",)),
    "users": (lambda r: f"/admin/portals/{r['portal']}/users/{r['id']}", ("portal", "id")),
    "groups": (lambda r: f"/admin/portals/{r['portal']}/groups/{r['id']}", ("portal", "id")),
    "learning_objects": (lambda r: f"/admin/los/{r['id']}", ("id",)),
    "companies": (lambda r: f"/admin/companies/{r['id']}", ("id",)),
    "products": (lambda r: f"/admin/products/{r['id']}", ("id",)),
    "clients": (lambda r: f"/admin/clients/{r['id']}", ("id",)),
    "coupons": (lambda r: f"/admin/coupons/{r['code']}", ("code",)),
}


class SeedError(Exception):
    pass


def load_seed(path: Path, sender: Sender, token: str | None = None) -> dict[str, int]:
    """PUTs every record of the file in dependency order; stops at the first refusal."""
    records = json.loads(path.read_text())
    unknown = set(records) - set(KINDS)
    if unknown:
        raise SeedError(f"{path}: unknown kinds {sorted(unknown)}; expected some of {list(KINDS)}")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token or tokens.staff('seed')}"}
    counts: dict[str, int] = {}
    for kind, (path_of, path_fields) in KINDS.items():
        for record in records.get(kind, []):
            body = {k: v for k, v in record.items() if k not in path_fields}
            answer = sender.handle("PUT", path_of(record), headers, json.dumps(body))
            if answer.status != 200:
                raise SeedError(f"{kind} {path_of(record)}: {answer.status} {answer.body}")
            counts[kind] = counts.get(kind, 0) + 1
    return counts


class HttpSender:
    """Sends the seed's requests to a running API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str] | None = None, body: bytes | str | None = None
    ) -> Any:
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own API
            self.base_url + raw_path, data=data, headers=headers or {}, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return _Answer(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return _Answer(error.code, error.read().decode())


class _Answer:
    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    args = parser.parse_args()
    try:
        counts = load_seed(args.file, HttpSender(args.url), os.environ.get("PLANHUB_TOKEN"))
    except (SeedError, OSError) as error:
        sys.exit(f"seed failed: {error}")
    print(f"seeded {args.file}: {counts}")


if __name__ == "__main__":
    main()
