"""Python values <-> DynamoDB attribute values.

boto3's serializer refuses floats and its deserializer answers Decimals; the domain speaks
int and float, so both directions go through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from planhub.errors import InvalidInput

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# DynamoDB numbers: up to 38 significant digits, magnitudes from 1e-130 to below 1e126.
_SMALLEST = Decimal("1e-130")
_TOO_LARGE = Decimal("1e126")
_DIGITS = 38
_EXACT = Context(prec=400)  # wide enough that normalizing never rounds a JSON number


class NumberOutOfRange(InvalidInput):
    """A number no DynamoDB attribute can hold: refused (400), never a failed write (500)."""


def _number(value: int | float, path: str) -> Decimal:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number != 0 and abs(number) < _SMALLEST:
        return Decimal(0)  # below DynamoDB's resolution: indistinguishable from zero here
    if len(number.as_tuple().digits) > _DIGITS:
        # 10**40 is one significant digit written with 41: say it in exponent form instead.
        number = number.normalize(_EXACT)
    if abs(number) >= _TOO_LARGE or len(number.as_tuple().digits) > _DIGITS:
        field, shown = path or "a number", str(value) if len(str(value)) <= 60 else f"{str(value)[:40]}..."
        message = f"{shown} is beyond the numbers planhub stores (38 significant digits)"
        raise NumberOutOfRange(f"{field}: {message}", details=[{"field": path or "body", "message": message}])
    return number


def _to_dynamo(value: Any, path: str = "") -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return _number(value, path)
    if isinstance(value, dict):
        return {k: _to_dynamo(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_dynamo(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_from_dynamo(v) for v in value]
    return value


def serialize(value: Any, path: str = "") -> dict[str, Any]:
    return dict(_serializer.serialize(_to_dynamo(value, path)))


def to_attributes(item: dict[str, Any]) -> dict[str, Any]:
    return {k: serialize(v, k) for k, v in item.items()}


def from_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in attributes.items()}
