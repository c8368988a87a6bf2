"""The rules every id follows, in a body or in a path (docs/product.md "Errors and bad input").

An id in a path is validated exactly like the same id in a body, after its
percent-encoding is decoded once (`planhub.http.api`), so no id is stored or looked up
that a body could not name, and none is longer than a DynamoDB key holds.

- A catalog id (portal, user, group, LO, company, product, client, coupon code) is 1-128
  characters of `A-Z a-z 0-9 . _ : @ -`, starting with a letter or digit (so never `.`
  or `..`, never a quote, an angle bracket, a slash, a space or an emoji).
- A portal is addressed by its id or its name (a host name: up to 253 characters, the
  same alphabet).
- Plan and enrolment ids are positive integers of at most 19 digits: every id issued so
  far (up to about 9.2e18) stays addressable, whatever range new ids come from.
- Plan-play and subscription-plan ids are 24 lowercase hex digits (ObjectId-shaped).
- A student's email: at most 254 characters, one `@`, a dot in the domain, no spaces.

The generators are in `planhub.ids`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"
ID_MAX_LENGTH = 128
PORTAL_REF_MAX_LENGTH = 253
NUMERIC_ID_PATTERN = r"^[1-9][0-9]{0,18}$"
NUMERIC_ID_MAX = 10**19 - 1
OBJECT_ID_PATTERN = r"^[0-9a-f]{24}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EMAIL_MAX_LENGTH = 254

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]

_NUMERIC = re.compile(NUMERIC_ID_PATTERN)


def _numeric_text(value: Any) -> Any:
    """Digits only: `+5`, ` 5`, `5_0`, `05` or `5.0` are not ids (pydantic's int would take them)."""
    if isinstance(value, str) and not _NUMERIC.fullmatch(value):
        raise ValueError("must be a positive integer of at most 19 digits")
    return value


NumericIdText = BeforeValidator(_numeric_text)
