"""The subscription-plans seed's extended-JSON shapes: references as `{"$oid": ...}`, times as
`{"$date": <epoch ms>}`. Shared by subscription plans, billing and payments, whose answers use
the same shapes (an area may not import another area's models)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import overload

from pydantic import BaseModel, ConfigDict, Field

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


class ObjectRef(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    oid: str = Field(alias="$oid", serialization_alias="$oid")


class DateRef(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    date: int = Field(alias="$date", serialization_alias="$date", description="Milliseconds since the epoch, UTC")


def object_ref(identifier: str) -> ObjectRef:
    return ObjectRef.model_validate({"$oid": identifier})


@overload
def date_ref(moment: datetime) -> DateRef: ...


@overload
def date_ref(moment: None) -> None: ...


def date_ref(moment: datetime | None) -> DateRef | None:
    return None if moment is None else DateRef.model_validate({"$date": epoch_ms(moment)})
