"""Each function's environment, checked once at import through a model.

A missing or malformed variable fails the cold start loudly instead of the first request.
"""

from __future__ import annotations

import os
from typing import Self

from pydantic import BaseModel, ConfigDict, Field


def parameter_name(name: str) -> str:
    """An SSM parameter's full name: the template names it with or without its leading slash
    ('planhub/x' or '/planhub/x', and "/" + either), SSM wants exactly one."""
    return "/" + name.lstrip("/")


class Environment(BaseModel):
    """Base for environment models: fields are read from upper-case variables."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    @classmethod
    def load(cls) -> Self:
        return cls.model_validate(dict(os.environ))


class TableEnvironment(Environment):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)


class BusEnvironment(Environment):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)


class AuthEnvironment(Environment):
    """How tokens are verified: HS256 with a shared secret, or RS256 against a JWKS."""

    jwt_secret: str | None = Field(default=None, alias="JWT_SECRET", min_length=32)
    jwt_secret_parameter: str | None = Field(default=None, alias="JWT_SECRET_PARAMETER")
    jwks_url: str | None = Field(default=None, alias="JWKS_URL")
    jwt_audience: str | None = Field(default=None, alias="JWT_AUDIENCE")
    jwt_issuer: str | None = Field(default=None, alias="JWT_ISSUER")


class EmailEnvironment(Environment):
    email_sender: str = Field(alias="EMAIL_SENDER", min_length=3)
    # The account's SES send rate, shared by EMAIL_SENDERS containers at most (the email
    # queue's MaximumConcurrency): each sends at most rate / senders per second. None: unpaced.
    email_max_send_rate: float | None = Field(default=None, alias="EMAIL_MAX_SEND_RATE", gt=0)
    email_senders: int = Field(default=1, alias="EMAIL_SENDERS", ge=1)

    @property
    def sends_per_second(self) -> float | None:
        """What one container may send per second."""
        return None if self.email_max_send_rate is None else self.email_max_send_rate / self.email_senders


class UsagePlanEnvironment(Environment):
    """The usage plan (by name) company API keys are registered on, where there is one."""

    usage_plan_name: str | None = Field(default=None, alias="USAGE_PLAN_NAME")
