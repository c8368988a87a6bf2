"""Conditional requests (RFC 9110 section 13): entity tags of versioned records, `If-Match`.

Plain functions of header values, so that a domain package uses them without loading the
HTTP layer (a consumer of events never does).
"""

from __future__ import annotations

from collections.abc import Mapping

ANY = "*"


def entity_tag(version: int) -> str:
    """The strong entity tag of a record's version: it changes whenever the record does."""
    return f'"{version}"'


def if_match(headers: Mapping[str, str] | None) -> tuple[str, ...] | None:
    """The tags of the request's `If-Match` (header names are case-insensitive); None without one."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "if-match"), None)
    if value is None:
        return None
    value = value.strip()
    if value == ANY:
        return (ANY,)
    return tuple(tag.strip() for tag in value.split(",") if tag.strip())


def matches(tags: tuple[str, ...], version: int) -> bool:
    """Strong comparison: a weak tag (`W/"3"`) never matches, `*` matches any stored record."""
    return ANY in tags or entity_tag(version) in tags
