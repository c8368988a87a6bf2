"""Path parameters, typed once with the rules of `planhub.id_rules`: a handler names its
path ids with these, so each is validated (and documented in OpenAPI) like the same id
in a body. The resolver decodes percent-encoding before they are validated."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from planhub.id_rules import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    ID_MAX_LENGTH,
    ID_PATTERN,
    NUMERIC_ID_MAX,
    OBJECT_ID_PATTERN,
    PORTAL_REF_MAX_LENGTH,
    NumericIdText,
)


def _id(description: str) -> Path:
    return Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN, description=description)


PortalId = Annotated[str, _id("The portal's id")]
PortalRef = Annotated[
    str, Path(min_length=1, max_length=PORTAL_REF_MAX_LENGTH, pattern=ID_PATTERN, description="The portal's id or name")
]
UserId = Annotated[str, _id("The user's id")]
GroupId = Annotated[str, _id("The group's id")]
LoId = Annotated[str, _id("The learning object's id")]
CompanyId = Annotated[str, _id("The company's id")]
ProductId = Annotated[str, _id("The product's id")]
ClientId = Annotated[str, _id("The API client's id")]
CouponCode = Annotated[str, _id("The coupon's code")]
NumericId = Annotated[
    int, NumericIdText, Path(ge=1, le=NUMERIC_ID_MAX, description="A positive integer of at most 19 digits")
]
ObjectId = Annotated[str, Path(pattern=OBJECT_ID_PATTERN, min_length=24, max_length=24, description="24 hex digits")]
StudentEmail = Annotated[
    str, Path(max_length=EMAIL_MAX_LENGTH, pattern=EMAIL_PATTERN, description="The student's email")
]
ParentLoId = Annotated[str, _id("The parent LO (course of a module, module of an item); 0: none")]
NumericIdQuery = Annotated[
    int | None, Query(ge=1, le=NUMERIC_ID_MAX, description="A positive integer of at most 19 digits")
]
