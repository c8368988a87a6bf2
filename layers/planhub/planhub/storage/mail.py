"""SES: sending one email (used by the email function only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_ses.client import SESClient

_UTF8 = "UTF-8"


class Mailer:
    def __init__(self, sender: str, client: SESClient | None = None) -> None:
        self.sender = sender
        self._client = client

    @property
    def client(self) -> SESClient:
        if self._client is None:
            self._client = boto3.client("ses", config=Config(retries={"mode": "standard", "max_attempts": 5}))
        return self._client

    def send(self, to: Sequence[str], subject: str, html: str, text: str) -> str:
        """Sends one message from the configured sender; answers SES's message id."""
        answer = self.client.send_email(
            Source=self.sender,
            Destination={"ToAddresses": list(to)},
            Message={
                "Subject": {"Data": subject, "Charset": _UTF8},
                "Body": {"Html": {"Data": html, "Charset": _UTF8}, "Text": {"Data": text, "Charset": _UTF8}},
            },
        )
        return answer["MessageId"]
