"""A price in minor units of its currency (what a learning object costs, what a payment charges)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class Price(BaseModel):
    """An amount in minor units of the currency (4900 USD = $49.00)."""

    model_config = ConfigDict(extra="forbid")

    amount: int = Field(ge=0)
    currency: Currency
