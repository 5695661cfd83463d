"""Parse quantities with units once, at the input boundary, and format them for output.

Inputs accept what people write in budgets: "175B" parameters, "1.4T" tokens, "3.14e23" FLOPs,
"175_000_000_000", "30d", "6 weeks", "$4M", "2.5/h", "20%", "700W", "80GiB". Every parser raises
ValueError with the bad value and an example of a valid one, so pydantic can attach the field path.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

HOURS_PER_DAY = 24.0
# Cloud billing convention (AWS, GCP, Azure price calculators): a month is 730 hours = 8,760 / 12.
HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = HOURS_PER_MONTH / HOURS_PER_DAY
HOURS_PER_YEAR = 8760.0

_SI = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_NUMBER = r"[+-]?(?:\d[\d_,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_COUNT_RE = re.compile(rf"^\s*({_NUMBER})\s*([KMBGTPE]?)\s*$", re.IGNORECASE)
_QTY_RE = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-zµ%/$ ._-]*?)\s*$")

_DURATION_HOURS = {
    "s": 1 / 3600, "sec": 1 / 3600, "secs": 1 / 3600, "second": 1 / 3600, "seconds": 1 / 3600,
    "min": 1 / 60, "mins": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60,
    "h": 1.0, "hr": 1.0, "hrs": 1.0, "hour": 1.0, "hours": 1.0,
    "d": 24.0, "day": 24.0, "days": 24.0,
    "w": 168.0, "wk": 168.0, "wks": 168.0, "week": 168.0, "weeks": 168.0,
    "mo": HOURS_PER_MONTH, "mon": HOURS_PER_MONTH, "month": HOURS_PER_MONTH,
    "months": HOURS_PER_MONTH,
    "y": HOURS_PER_YEAR, "yr": HOURS_PER_YEAR, "yrs": HOURS_PER_YEAR, "year": HOURS_PER_YEAR,
    "years": HOURS_PER_YEAR,
}  # fmt: skip
_BYTES = {
    "b": 1.0, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
    "kib": 2.0**10, "mib": 2.0**20, "gib": 2.0**30, "tib": 2.0**40, "pib": 2.0**50,
}  # fmt: skip
_WATTS = {"w": 1.0, "kw": 1e3, "mw": 1e6}


def _reject_non_numbers(value: Any, what: str, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected {what} such as {example}, got {value!r}")


def _to_float(text: str) -> float:
    return float(text.replace("_", "").replace(",", ""))


def _finite(x: float, raw: Any, what: str) -> float:
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, got {raw!r}")
    return x


def parse_count(value: Any) -> float:
    """'175B' -> 1.75e11; accepts K/M/B(G)/T/P/E suffixes, scientific notation and '_' or ','."""
    _reject_non_numbers(value, "a number", "175B, 1.4T, 3.14e23 or 175_000_000_000")
    if isinstance(value, (int, float)):
        return _finite(float(value), value, "the number")
    m = _COUNT_RE.match(value)
    if not m:
        raise ValueError(
            f"cannot read {value!r} as a number: write e.g. 175B, 1.4T, 3.14e23 or 175_000_000_000"
        )
    return _finite(_to_float(m.group(1)) * _SI[m.group(2).upper()], value, "the number")


def _split(value: Any, what: str, example: str) -> tuple[float, str]:
    _reject_non_numbers(value, what, example)
    if isinstance(value, (int, float)):
        return _finite(float(value), value, what), ""
    m = _QTY_RE.match(value)
    if not m:
        raise ValueError(f"cannot read {value!r} as {what}: write e.g. {example}")
    return _finite(_to_float(m.group(1)), value, what), m.group(2).strip()


def parse_hours(value: Any) -> float:
    """A duration in hours; bare numbers are hours. '30d' -> 720.0; '2 weeks' -> 336.0."""
    number, unit = _split(value, "a duration", "'36h', '30d', '6 weeks', '3 months'")
    return number * _duration_factor(unit, value, default="h")


def parse_days(value: Any) -> float:
    """A duration in days; bare numbers are days. '36h' -> 1.5; '2mo' -> 60.83 (730 h months)."""
    number, unit = _split(value, "a duration", "'60d', '36h', '6 weeks', '2 months'")
    return number * _duration_factor(unit, value, default="d") / HOURS_PER_DAY


def parse_months(value: Any) -> float:
    """A duration in months (730 h); bare numbers are months. '3y' -> 36.0; '90d' -> 2.96."""
    number, unit = _split(value, "a duration", "12, '12 months', '3y'")
    return number * _duration_factor(unit, value, default="mo") / HOURS_PER_MONTH


def _duration_factor(unit: str, raw: Any, default: str) -> float:
    key = (unit or default).lower().rstrip(".")
    if key not in _DURATION_HOURS:
        raise ValueError(
            f"unknown time unit {unit!r} in {raw!r}: use one of h, d, w, mo, y "
            "(or hours, days, weeks, months, years)"
        )
    return _DURATION_HOURS[key]


def _strip_currency(text: str) -> str:
    t = text.strip()
    for token in ("USD", "usd", "$"):
        t = t.replace(token, "")
    return t.strip()


def parse_usd(value: Any) -> float:
    """An amount of US dollars: 4e6, '$4M', '4,000,000', '1.5k USD' -> float USD."""
    if isinstance(value, str):
        value = _strip_currency(value)
    try:
        return parse_count(value)
    except ValueError:
        raise ValueError(
            f"cannot read {value!r} as US dollars: write e.g. 4e6, '$4M' or '4,000,000'"
        ) from None


def parse_usd_per_hour(value: Any) -> float:
    """A price per hour: 2.5, '$2.5/h', '2.5 USD/hr', '$1,825/month' (730 h) -> USD per hour."""
    if isinstance(value, str) and "/" in value:
        amount, _, per = value.partition("/")
        hours = _duration_factor(per.strip(), value, default="h")
        return parse_usd(amount) / hours
    return parse_usd(value)


def parse_fraction(value: Any) -> float:
    """A share in [0, 1]: 0.2 or '20%'."""
    _reject_non_numbers(value, "a fraction", "0.2 or '20%'")
    if isinstance(value, str):
        text = value.strip()
        x = parse_count(text[:-1]) / 100.0 if text.endswith("%") else parse_count(text)
    else:
        x = float(value)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"a fraction must be between 0 and 1 (or 0% and 100%), got {value!r}")
    return x


def parse_bytes(value: Any) -> float:
    """A size in bytes: '80GiB', '1.5 TB', 1e9 (bare numbers are bytes)."""
    number, unit = _split(value, "a size", "'80GiB', '140 GB' or 1e9")
    key = (unit or "b").lower().replace(" ", "")
    if key not in _BYTES:
        raise ValueError(
            f"unknown size unit {unit!r} in {value!r}: use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB"
        )
    return number * _BYTES[key]


def parse_watts(value: Any) -> float:
    """Power in watts: 700, '700W', '10.2 kW'."""
    number, unit = _split(value, "a power", "700, '700W' or '10.2kW'")
    key = (unit or "w").lower()
    if key not in _WATTS:
        raise ValueError(f"unknown power unit {unit!r} in {value!r}: use W, kW or MW")
    return number * _WATTS[key]


def number_or_text(description: str, examples: list[Any]) -> WithJsonSchema:
    """JSON Schema of a unit field: a plain number, or text with a unit the parser understands."""
    return WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string"}], "description": description, "examples": examples}
    )


# Pydantic field types: the parser runs before type validation, so YAML strings with units work.
Count = Annotated[
    float,
    BeforeValidator(parse_count),
    number_or_text("A count: 175B, 1.4T, 3.14e23", ["70B", "2T", 8.4e23]),
]
Days = Annotated[
    float,
    BeforeValidator(parse_days),
    number_or_text("Days; or text with a unit: 36h, 8w, 2mo", [60, "8 weeks"]),
]
Hours = Annotated[
    float, BeforeValidator(parse_hours), number_or_text("Hours; or text with a unit", [36, "2d"])
]
Months = Annotated[float, BeforeValidator(parse_months), number_or_text("Months of 730 h; or 3y", [12, "3y"])]
USD = Annotated[float, BeforeValidator(parse_usd), number_or_text("US dollars: 4e6, $4M", [4e6, "$4M"])]
USDPerHour = Annotated[
    float, BeforeValidator(parse_usd_per_hour), number_or_text("USD per hour: 2.5, $2.5/h", [2.5, "$2.5/h"])
]
Fraction = Annotated[
    float, BeforeValidator(parse_fraction), number_or_text("A share: 0.2 or 20%", [0.2, "20%"])
]
Bytes = Annotated[float, BeforeValidator(parse_bytes), number_or_text("Bytes; or 80GiB, 1.5TB", ["80GiB"])]
Watts = Annotated[float, BeforeValidator(parse_watts), number_or_text("Watts; or 10.2kW", [700, "10.2kW"])]


def format_count(x: float, digits: int = 3) -> str:
    """1.75e11 -> '175B'; 3.15e23 -> '3.15e+23' (beyond T, scientific reads better)."""
    if x == 0:
        return "0"
    ax = abs(x)
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if ax >= scale and ax < 1e15:
            return f"{x / scale:.{digits}g}{suffix}"
    if ax >= 1e15:
        return f"{x:.{digits}g}"
    return f"{x:.{digits}g}"


def format_usd(x: float) -> str:
    """1234567 -> '$1.23M'; 812.5 -> '$812.50'; keeps the sign."""
    sign = "-" if x < 0 else ""
    ax = abs(x)
    if ax >= 1e9:
        return f"{sign}${ax / 1e9:.2f}B"
    if ax >= 1e6:
        return f"{sign}${ax / 1e6:.2f}M"
    if ax >= 1e4:
        return f"{sign}${ax / 1e3:.1f}K"
    return f"{sign}${ax:,.2f}"
