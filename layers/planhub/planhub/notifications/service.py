"""Sending the email an event calls for, exactly once per event."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from planhub.events import DomainEvent
from planhub.events.idempotency import exactly_once
from planhub.notifications.rendering import EmailTemplate, render_email
from planhub.notifications.templates import TEMPLATES
from planhub.observability import logger
from planhub.settings import EmailEnvironment, TableEnvironment
from planhub.storage.mail import Mailer

CONSUMER = "send-email"


class Notifications:
    def __init__(self, table_name: str, mailer: Mailer, templates: Mapping[str, EmailTemplate] = TEMPLATES) -> None:
        self.table_name = table_name
        self.mailer = mailer
        self.templates = templates

    @classmethod
    def from_environment(cls) -> Notifications:
        email = EmailEnvironment.load()
        return cls(TableEnvironment.load().table_name, Mailer(email.email_sender, per_second=email.sends_per_second))

    @functools.cached_property
    def _send_once(self) -> Callable[..., str | None]:
        once: Callable[..., str | None] = exactly_once(CONSUMER, self.table_name)(self._send)
        return once

    def send_for(self, event: DomainEvent) -> None:
        """Sends the event's email, unless the event asks for none; a redelivery sends nothing."""
        if event.type not in self.templates:
            logger.warning("no email template for this event type", extra={"type": event.type})
            return
        if event.data.get("notify") is False:
            logger.info("the event asks for no email", extra={"type": event.type})
            return
        self._send_once(event=event.model_dump(mode="json"))

    def _send(self, event: dict[str, Any]) -> str | None:
        email = render_email(self.templates[event["type"]], event["data"])
        if email is None:
            logger.warning("the event names no recipient", extra={"type": event["type"]})
            return None
        message_id = self.mailer.send([email.to], email.subject, email.html, email.text)
        logger.info("email sent", extra={"type": event["type"], "message_id": message_id})
        return message_id
