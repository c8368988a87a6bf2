"""What a plan charges, in integer minor units of its currency.

Fractions only appear where a discount multiplies an amount; that product is a Decimal,
rounded half up to a whole minor unit at once. Floats never take part.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from planhub.subscriptions.currency import to_minor


class Line(Protocol):
    @property
    def unit_amount(self) -> int: ...
    @property
    def quantity(self) -> int: ...
    @property
    def discount(self) -> Decimal: ...


def _whole(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def unit_amount(price: float, currency: str) -> int:
    """A catalog price (a float in major units, as staff enter it) in minor units.

    The float's shortest decimal form is the price staff typed (100.1 -> "100.1"), so it is
    read from that text, never multiplied as a binary fraction.
    """
    return to_minor(Decimal(repr(price)), currency)


def line_amount(line: Line) -> int:
    """unit price x quantity x (1 - line discount), rounded to the minor unit."""
    return _whole(Decimal(line.unit_amount * line.quantity) * (1 - line.discount))


def items_total(lines: Iterable[Line]) -> int:
    """The sum of the lines, each rounded on its own (as an invoice shows them)."""
    return sum(line_amount(line) for line in lines)


def after_discount(total: int, discount: Decimal) -> int:
    """`total` less the plan's discount: what is charged per interval (or per order)."""
    return _whole(Decimal(total) * (1 - discount))
