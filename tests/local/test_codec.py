"""Numbers go to DynamoDB as it can hold them, or are refused as bad input."""

from __future__ import annotations

import pytest

from planhub.storage.codec import NumberOutOfRange, from_attributes, to_attributes


@pytest.mark.parametrize("value", [0, 1, -7, 100, 0.5, 49.99, 10**37, 10**40, 1e20, 1e-129])
def test_a_storable_number_comes_back_as_it_went(value: float) -> None:
    assert from_attributes(to_attributes({"n": value}))["n"] == value


def test_a_magnitude_below_dynamodbs_resolution_is_stored_as_zero() -> None:
    assert from_attributes(to_attributes({"n": 1e-320}))["n"] == 0


@pytest.mark.parametrize("value", [1e126, 1e308, -1e200, int("1" * 39)])
def test_a_number_beyond_dynamodb_is_refused_naming_where_it_is(value: float) -> None:
    with pytest.raises(NumberOutOfRange, match=r"policy\.credits\.balance"):
        to_attributes({"policy": {"credits": {"balance": value}}})


def test_ordinary_numbers_keep_their_plain_form() -> None:
    # Exponent forms like 1E+2 are valid DynamoDB numbers, but plain digits are what every
    # reader (and moto's update arithmetic) expects.
    assert to_attributes({"n": 100})["n"] == {"N": "100"}
    assert to_attributes({"n": 49.5})["n"] == {"N": "49.5"}
