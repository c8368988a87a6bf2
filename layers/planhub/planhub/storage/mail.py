"""SES: sending one email (used by the email function only), paced under the send rate.

SES refuses sends above the account's maximum send rate ("Throttling: Maximum sending rate
exceeded"). A Mailer with `per_second` never sends faster than that from its container; the
email queue's MaximumConcurrency bounds the containers, so together they stay under the rate.
A send SES still throttles is retried by botocore (standard mode), then by the queue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_ses.client import SESClient

_UTF8 = "UTF-8"


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# What pacing waits on. The local stack puts its simulated clock here (the one its SES send
# rate is measured on), so a burst's waits cost no real time there.
clock: Clock = SystemClock()


class Mailer:
    def __init__(self, sender: str, client: SESClient | None = None, *, per_second: float | None = None) -> None:
        self.sender = sender
        self._client = client
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next_send = 0.0
        self._pace = threading.Lock()

    def _wait_for_turn(self) -> None:
        """Sleeps until this container may send again: one send per `interval`."""
        if not self.interval:
            return
        with self._pace:
            now = clock.monotonic()
            if now < self._next_send:
                clock.sleep(self._next_send - now)
                now = self._next_send
            self._next_send = now + self.interval

    @property
    def client(self) -> SESClient:
        if self._client is None:
            self._client = boto3.client("ses", config=Config(retries={"mode": "standard", "max_attempts": 5}))
        return self._client

    def send(self, to: Sequence[str], subject: str, html: str, text: str) -> str:
        """Sends one message from the configured sender; answers SES's message id."""
        self._wait_for_turn()
        answer = self.client.send_email(
            Source=self.sender,
            Destination={"ToAddresses": list(to)},
            Message={
                "Subject": {"Data": subject, "Charset": _UTF8},
                "Body": {"Html": {"Data": html, "Charset": _UTF8}, "Text": {"Data": text, "Charset": _UTF8}},
            },
        )
        return answer["MessageId"]
