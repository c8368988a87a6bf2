"""ISO 4217 money for subscription plans: the shared `planhub.money`, under its old name."""

from planhub.money import (
    MAX_MINOR_UNITS,
    MINOR_UNITS,
    WITHOUT_MINOR_UNIT,
    UnknownCurrency,
    is_exact,
    is_money_currency,
    minor_units,
    to_major,
    to_minor,
)

__all__ = [
    "MAX_MINOR_UNITS",
    "MINOR_UNITS",
    "WITHOUT_MINOR_UNIT",
    "UnknownCurrency",
    "is_exact",
    "is_money_currency",
    "minor_units",
    "to_major",
    "to_minor",
]
