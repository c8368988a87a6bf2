"""The credit books: what the API's answers say was billed, against what was metered and what
the balance became.

Every answer the harness gets passes through `Books.observe`, in the order the requests were
sent (the harness sends one at a time, so that order is the order of the writes). From the
successful answers alone it keeps, per API client:

- the terms in force: the `policy.credits` and `balance` of the last successful staff write
  to the client (`PUT /admin/clients/{id}` and `POST .../credits` answer the stored client);
- what was billed: each `201` to `POST /api/plan-plays` costs the client's `per_create`, and
  each `200` to `PATCH /api/plan-plays/{id}` that shows a plan play completed for the first
  time costs `per_completion` (completion is terminal, so the first time is the billable one);
- hence the balance the client must have now: the last staff-set balance minus what was
  billed since.

After every event has drained, `reconcile` reads each client (staff `GET`) and its usage, and
counts the credits billed but not metered (or metered twice), the billable answers whose
activity was not metered (or twice), and how far the balance is from the books. Refused
answers bill nothing; a refusal that still took credits (or a success that took none) shows
up as a balance difference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

if TYPE_CHECKING:
    from planhub_local.gateway import HttpResponse

PLAN_PLAYS = "/api/plan-plays"
COMPLETED = "completed"


class Caller(Protocol):
    """What `reconcile` asks of the world (hardening.world.World): staff requests through the gateway."""

    def call(
        self, actor: str, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None
    ) -> HttpResponse: ...

    def ok(self, actor: str, method: str, path: str, body: Any = None) -> Any: ...


@dataclass
class Account:
    """One API client as its answers describe it."""

    per_create: int = 0
    per_completion: int = 0
    balance: int | None = None  # None: not metered by credits
    billed: int = 0  # credits, since the world began
    creates: int = 0
    completions: int = 0


@dataclass
class Books:
    accounts: dict[str, Account] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)
    details: list[str] = field(default_factory=list)

    def account(self, client_id: str) -> Account:
        return self.accounts.setdefault(client_id, Account())

    def observe(self, method: str, path: str, status: int, body: str) -> None:
        if not 200 <= status < 300:
            return
        route = urlsplit(path).path
        parts = route.strip("/").split("/")
        if parts[:2] == ["admin", "clients"] and len(parts) in (3, 4) and method in ("PUT", "POST"):
            self._terms(_json(body))
        elif route == PLAN_PLAYS and method == "POST" and status == 201:
            self._bill_create(_json(body))
        elif route.startswith(PLAN_PLAYS + "/") and len(parts) == 3 and method == "PATCH":
            self._bill_completion(_json(body))

    def _terms(self, client: Any) -> None:
        if not isinstance(client, dict) or "id" not in client:
            return
        account = self.account(str(client["id"]))
        credits = (client.get("policy") or {}).get("credits") or {}
        account.per_create = int(credits.get("per_create", 0))
        account.per_completion = int(credits.get("per_completion", 0))
        account.balance = None if client.get("balance") is None else int(client["balance"])

    def _bill_create(self, answer: Any) -> None:
        play = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(play, dict):
            return
        account = self.account(str(play["clientId"]))
        account.creates += 1
        self._charge(account, account.per_create)

    def _bill_completion(self, answer: Any) -> None:
        play = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(play, dict) or play.get("status") != COMPLETED or play["id"] in self.completed:
            return
        self.completed.add(str(play["id"]))
        account = self.account(str(play["clientId"]))
        account.completions += 1
        self._charge(account, account.per_completion)

    @staticmethod
    def _charge(account: Account, cost: int) -> None:
        account.billed += cost
        if account.balance is not None:
            account.balance -= cost

    # --- after draining --------------------------------------------------------------------------

    def reconcile(self, world: Caller) -> dict[str, int]:
        """Differences between the books and what the API stored, summed over the clients
        (each row is zero when nothing was lost or doubled); `details` names the clients."""
        found = dict.fromkeys((CREDITS_OFF, ACTIVITIES_OFF, BALANCE_OFF), 0)
        self.details = []
        for client_id, account in sorted(self.accounts.items()):
            stored = world.call("staff", "GET", f"/admin/clients/{quote(client_id, safe='')}")
            if stored.status == 404:
                continue
            balance = stored.json().get("balance")
            usage = world.ok("staff", "GET", "/api/usage?" + urlencode({"clientId": client_id}))["data"]
            metered = int(usage["creditsConsumed"])
            off = {
                CREDITS_OFF: abs(account.billed - metered),
                ACTIVITIES_OFF: abs(account.creates - int(usage["creates"]))
                + abs(account.completions - int(usage["completions"])),
                # A balance that should be null but is not (or the reverse) counts as one difference.
                BALANCE_OFF: 0
                if balance == account.balance
                else abs(int(balance or 0) - int(account.balance or 0)) or 1,
            }
            for name, count in off.items():
                found[name] += count
            if any(off.values()):
                self.details.append(
                    f"client {client_id}: billed {account.billed} credits ({account.creates} creates, "
                    f"{account.completions} completions), metered {metered} ({usage['creates']}, "
                    f"{usage['completions']}); balance {balance}, the books say {account.balance}"
                )
        return found

    def totals(self) -> tuple[int, int]:
        """(billable answers, credits billed) over every client."""
        answers = sum(a.creates + a.completions for a in self.accounts.values())
        return answers, sum(a.billed for a in self.accounts.values())


CREDITS_OFF = "credits billed but not metered (or metered twice)"
ACTIVITIES_OFF = "billable answers not metered (or metered twice)"
BALANCE_OFF = "credits off the balance the answers imply"


def _json(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
