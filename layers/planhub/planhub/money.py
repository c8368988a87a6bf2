"""ISO 4217 currencies and their minor units: money is counted in integers of the minor unit.

Shared by subscription plans and billing (planhub.subscriptions.currency re-exports it).

The table is ISO 4217 list one as in force in 2025 (the maintenance agency's published
list, SIX Group): every active alphabetic code with its number of minor-unit digits.
Codes the list marks "N.A." (precious metals, SDR, bond-market units, the testing and
"no currency" codes) have no minor unit, so no price can be counted in them; they are
known here but refused for money. Withdrawn codes (HRK, CUC, ZWL, ANG, ...) are unknown.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# code -> digits of the minor unit (2: cents, 0: no minor unit, 3: fils, 4: CLF and UYW)
MINOR_UNITS: dict[str, int] = {
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
    "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2,
    "BOV": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2,
    "CAD": 2, "CDF": 2, "CHE": 2, "CHF": 2, "CHW": 2, "CLF": 4, "CLP": 0, "CNY": 2, "COP": 2,
    "COU": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2,
    "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2,
    "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2,
    "FJD": 2, "FKP": 2,
    "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2,
    "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2,
    "IDR": 2, "ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0,
    "JMD": 2, "JOD": 3, "JPY": 0,
    "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2,
    "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3,
    "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
    "MVR": 2, "MWK": 2, "MXN": 2, "MXV": 2, "MYR": 2, "MZN": 2,
    "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2,
    "OMR": 3,
    "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0,
    "QAR": 2,
    "RON": 2, "RSD": 2, "RUB": 2, "RWF": 0,
    "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SLL": 2,
    "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2,
    "THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2,
    "UAH": 2, "UGX": 0, "USD": 2, "USN": 2, "UYI": 0, "UYU": 2, "UYW": 4, "UZS": 2,
    "VED": 2, "VES": 2, "VND": 0, "VUV": 0,
    "WST": 2,
    "XAF": 0, "XCD": 2, "XCG": 2, "XOF": 0, "XPF": 0,
    "YER": 2,
    "ZAR": 2, "ZMW": 2, "ZWG": 2,
}  # fmt: skip

# Active codes without a minor unit ("N.A." in the list): not a currency a price is counted in.
WITHOUT_MINOR_UNIT: frozenset[str] = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}
)

MAX_MINOR_UNITS = max(MINOR_UNITS.values())


class UnknownCurrency(ValueError):
    """Not an active ISO 4217 code with a minor unit."""


def minor_units(currency: str) -> int:
    """Digits of `currency`'s minor unit (JPY 0, NOK 2, KWD 3)."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        if currency in WITHOUT_MINOR_UNIT:
            raise UnknownCurrency(f"{currency} has no minor unit: amounts cannot be counted in it") from None
        raise UnknownCurrency(f"{currency} is not an active ISO 4217 currency code") from None


def is_money_currency(currency: str) -> bool:
    return currency in MINOR_UNITS


def to_minor(amount: Decimal, currency: str) -> int:
    """`amount` in major units as an integer of minor units, rounded half up to the minor unit."""
    scaled = amount.scaleb(minor_units(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def is_exact(amount: Decimal, currency: str) -> bool:
    """True when `amount` needs no rounding to be counted in `currency`'s minor unit."""
    scaled = amount.scaleb(minor_units(currency))
    return scaled == scaled.to_integral_value()


def to_major(minor: int, currency: str) -> Decimal:
    """An integer of minor units back in major units, exactly (4250 NOK -> Decimal("42.50"))."""
    return Decimal(minor).scaleb(-minor_units(currency))
