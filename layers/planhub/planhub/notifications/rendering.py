"""Filling an email template from an event's data.

Templates are plain text with three forms, resolved against dotted paths into the data:

    {{ recipient.name }}              the value (HTML-escaped in the HTML part)
    {{ plan.due_date | date }}        the value through a filter (`date`: a readable UTC time)
    {{# plan.note }}...{{/ plan.note }}   the enclosed text only when the value is present

Sections are resolved first, on the template's own text; values are substituted last, in
one pass, so nothing a user wrote (a note, a title) is ever read as template syntax.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

_SECTION = re.compile(r"\{\{#\s*([\w.]+)\s*\}\}(.*?)\{\{/\s*\1\s*\}\}", re.DOTALL)
_VALUE = re.compile(r"\{\{\s*([\w.]+)\s*(?:\|\s*(\w+)\s*)?\}\}")


def _readable_date(value: Any) -> str:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


FILTERS: dict[str, Callable[[Any], str]] = {"date": _readable_date}


@dataclass(frozen=True)
class EmailTemplate:
    """One email: `to` is the path of the recipient's address in the event's data."""

    subject: str
    text: str
    html: str
    to: str = "recipient.email"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


def lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def render(template: str, data: Mapping[str, Any], *, escape: bool) -> str:
    previous = None
    while previous != template:  # nested sections resolve from the outside in
        previous = template
        template = _SECTION.sub(lambda m: m.group(2) if lookup(data, m.group(1)) else "", template)

    def value(match: re.Match[str]) -> str:
        found = lookup(data, match.group(1))
        if found is None:
            return ""
        text = FILTERS[match.group(2)](found) if match.group(2) else str(found)
        return html.escape(text) if escape else text

    return _VALUE.sub(value, template)


def render_email(template: EmailTemplate, data: Mapping[str, Any]) -> Email | None:
    """The email for `data`, or None when the data names no recipient."""
    to = lookup(data, template.to)
    if not to:
        return None
    # A subject is one line, whatever a title holds.
    subject = " ".join(render(template.subject, data, escape=False).split())
    return Email(
        to=str(to),
        subject=subject,
        text=render(template.text, data, escape=False),
        html=render(template.html, data, escape=True),
    )
