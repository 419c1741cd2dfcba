"""Parsing of numbers and periods as statistics bureaus publish them.

Pure functions, no I/O: every failure raises ParseError with a message a steward can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


class ParseError(ValueError):
    """A cell that cannot be read as the kind of value its column holds."""


# Full-width digits and punctuation, as typed with a Chinese input method.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")
# Either plain digits or groups of three separated by commas ("1,876"); optional decimals.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")

MIN_YEAR, MAX_YEAR = 1900, 2100


@dataclass(frozen=True)
class ParsedNumber:
    value: float
    decimals: int  # digits after the decimal point as published: 7.10 keeps 2


def parse_number(text: str) -> ParsedNumber:
    cleaned = (text or "").translate(_FULL_WIDTH).strip()
    if not cleaned:
        raise ParseError("empty value")
    match = _NUMBER.fullmatch(cleaned)
    if not match:
        raise ParseError(f"not a number: {text!r}")
    fraction = match.group(1)
    return ParsedNumber(float(cleaned.replace(",", "")), len(fraction) if fraction else 0)


def parse_int(text: str) -> int:
    parsed = parse_number(text)
    if parsed.decimals or not parsed.value.is_integer():
        raise ParseError(f"not a whole number: {text!r}")
    return int(parsed.value)


def parse_bool(text: str) -> bool:
    cleaned = (text or "").strip().lower()
    if cleaned in ("true", "yes", "1", "是"):
        return True
    if cleaned in ("false", "no", "0", "否"):
        return False
    raise ParseError(f"not true/false: {text!r}")


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ParseError(f"not a date (YYYY-MM-DD): {text!r}") from None


@dataclass(frozen=True)
class Period:
    label: str  # canonical: 2021, 2022H1, 2022H2, 2012-2021
    kind: str  # year | half_year | span
    start: date
    end: date

    @property
    def start_year(self) -> int:
        return self.start.year

    @property
    def end_year(self) -> int:
        return self.end.year


_YEAR = re.compile(r"(\d{4})年?")
_HALF = re.compile(r"(\d{4})(?:H([12])|年(上|下)半年|年(1-6|7-12|1—6|7—12)月)")
_SPAN = re.compile(r"(\d{4})年?\s*[-—–~至]\s*(\d{4})年?")


def _year(text: str, raw: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ParseError(f"year out of range {MIN_YEAR}-{MAX_YEAR}: {raw!r}")
    return year


def parse_period(text: str) -> Period:
    """Read a year (2022, 2022年), a half-year (2022H1, 2022年上半年, 2022年1-6月) or a span (2012-2021, 2012—2021年)."""
    cleaned = (text or "").translate(_FULL_WIDTH).strip()
    if not cleaned:
        raise ParseError("empty period")
    if m := _YEAR.fullmatch(cleaned):
        year = _year(m.group(1), text)
        return Period(str(year), "year", date(year, 1, 1), date(year, 12, 31))
    if m := _HALF.fullmatch(cleaned):
        year = _year(m.group(1), text)
        first = m.group(2) == "1" or m.group(3) == "上" or (m.group(4) or "").startswith("1")
        if first:
            return Period(f"{year}H1", "half_year", date(year, 1, 1), date(year, 6, 30))
        return Period(f"{year}H2", "half_year", date(year, 7, 1), date(year, 12, 31))
    if m := _SPAN.fullmatch(cleaned):
        start, end = _year(m.group(1), text), _year(m.group(2), text)
        if start >= end:
            raise ParseError(f"span must run forwards: {text!r}")
        return Period(f"{start}-{end}", "span", date(start, 1, 1), date(end, 12, 31))
    raise ParseError(f"not a period (2021, 2022H1, 2022年上半年, 2012-2021): {text!r}")
