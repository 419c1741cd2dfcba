"""Parsing of numbers and periods as statistics bureaus publish them.

Pure functions, no I/O: every failure raises ParseError with a message a steward can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache


class ParseError(ValueError):
    """A cell that cannot be read as the kind of value its column holds."""


# Full-width digits, punctuation and space, as typed with a Chinese input method.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋％　～：（）", "0123456789.,-+% ~:()")
# Digits are ASCII 0-9 only (full-width ones are translated first): `\d` would also take Arabic-Indic or
# mathematical bold digits, which no bureau publishes and which hide what a cell really says.
# Either plain digits or groups of three separated by commas ("1,876"); optional decimals.
_DIGITS = r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?"
_NUMBER = re.compile(_DIGITS)

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


# Words around a published figure and what they say about it.
_PREFIX_QUALIFIERS = {
    "约": "approximate",
    "近": "approximate",
    "超过": "lower_bound",
    "突破": "lower_bound",
    "逾": "lower_bound",
    "不足": "upper_bound",
    "不到": "upper_bound",
}
_SUFFIX_QUALIFIERS = {
    "左右": "approximate",
    "以上": "lower_bound",
    "余": "lower_bound",
    "多": "lower_bound",
    "以下": "upper_bound",
    "以内": "upper_bound",
}
_SCALES = {"": 1.0, "万": 1e4, "亿": 1e8, "万亿": 1e12}
MISSING_MARKERS = {"", "—", "——", "-", "--", "–", "…", "……", "...", "/", "NA", "N/A", "无"}
_ROMAN = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}

_QUANTITY = re.compile(
    rf"(?P<prefix>{'|'.join(_PREFIX_QUALIFIERS)})?"
    rf"(?P<number>{_DIGITS})"
    r"(?P<more>余|多)?"
    r"(?P<scale>万亿|亿|万)?"
    r"(?P<more2>余|多)?"
    r"(?P<percent>%|‰)?"
    rf"(?P<suffix>{'|'.join(k for k in _SUFFIX_QUALIFIERS if k not in ('余', '多'))})?"
)
_GRADE = re.compile(r"(?P<worse>劣)?(?P<roman>Ⅰ|Ⅱ|Ⅲ|Ⅳ|Ⅴ|III|II|IV|I|V)类?")


@dataclass(frozen=True)
class Quantity:
    """A published figure: number, multiplier word, percent sign and qualifier, or missing."""

    value: float | None  # None when the cell is a missing-value marker
    decimals: int = 0
    scale: float = 1.0  # 万 → 1e4, 亿 → 1e8: still to be applied
    percent: str | None = None  # "%" or "‰" when written in the cell
    qualifier: str | None = None  # approximate | lower_bound | upper_bound, when the words say so

    @property
    def missing(self) -> bool:
        return self.value is None


def parse_quantity(text: str) -> Quantity:
    """Read a figure as printed: "1,876", "４５．７％", "15.5万", "约40", "超过229万", "2400余", "Ⅲ类", "—"."""
    cleaned = re.sub(r"\s+", "", (text or "").translate(_FULL_WIDTH))
    if cleaned in MISSING_MARKERS:
        return Quantity(None)
    if m := _GRADE.fullmatch(cleaned):
        grade = _ROMAN[m.group("roman")] + (1 if m.group("worse") else 0)  # 劣Ⅴ类 is worse than Ⅴ
        return Quantity(float(grade))
    m = _QUANTITY.fullmatch(cleaned)
    if not m:
        raise ParseError(f"not a figure (e.g. 45.7, 1,876, 15.5万, 45.7%, 约40, Ⅲ类, —): {text!r}")
    qualifiers = {
        q
        for q in (
            _PREFIX_QUALIFIERS.get(m.group("prefix") or ""),
            "lower_bound" if (m.group("more") or m.group("more2")) else None,
            _SUFFIX_QUALIFIERS.get(m.group("suffix") or ""),
        )
        if q
    }
    if len(qualifiers) > 1:
        raise ParseError(f"contradictory qualifiers {sorted(qualifiers)}: {text!r}")
    number = parse_number(m.group("number"))
    return Quantity(
        number.value,
        number.decimals,
        _SCALES[m.group("scale") or ""],
        m.group("percent"),
        qualifiers.pop() if qualifiers else None,
    )


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


def parse_timestamp(text: str) -> datetime:
    """An instant written with its offset (2027-01-20T09:30+08:00), as naive UTC: a release time without one would
    mean different instants on a server in UTC and a steward's desk in Beijing."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise ParseError(f"not a date and time (YYYY-MM-DDTHH:MM+08:00): {text!r}") from None
    if moment.tzinfo is None:
        raise ParseError(f"{text!r} has no time zone: write it with its offset, e.g. 2027-01-20T09:30+08:00")
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Period:
    label: str  # canonical: 2021, 2022H1, 2022H2, 2022Q3, 2022M03, 2022M01-09, 2012-2021
    kind: str  # year | half_year | quarter | month | year_to_date | span
    start: date
    end: date

    @property
    def start_year(self) -> int:
        return self.start.year

    @property
    def end_year(self) -> int:
        return self.end.year


_YEAR = re.compile(r"([0-9]{4})年?")
_HALF = re.compile(r"([0-9]{4})(?:H([12])|年(上|下)半年|年(1-6|7-12|1—6|7—12)月)")
_SPAN = re.compile(r"([0-9]{4})年?\s*[-—–~至]\s*([0-9]{4})年?")
_MONTH = re.compile(r"([0-9]{4})(?:M|年|-)([0-9]{1,2})月?")
_FULL_YEAR = re.compile(r"([0-9]{4})(?:年(?:1\s*[-—–~至]\s*12月|全年))")
# Quarters: 2023Q2, 2023年二季度, 2023年第2季度. A bureau's 一季度 is January to March, also as a cumulative figure.
_QUARTER = re.compile(r"([0-9]{4})(?:Q([1-4])|年第?([1-4一二三四])季度)")
# Cumulative from January (year to date), as monthly and quarterly releases print it: 2023年1-9月, 2023年1-2月,
# 2023年前三季度, and the canonical 2023M01-09. 1-3月 is the first quarter, 1-6月 the first half, 1-12月 the year.
_YEAR_TO_DATE = re.compile(r"([0-9]{4})(?:M01-([0-9]{2})|年1\s*[-—–~至]\s*([0-9]{1,2})月|年前([一二三])季度)")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}
# "十年来" (over the past decade) is accepted only with its span spelled out: 十年来(2012-2021)
_DECADE_WORDS = re.compile(r"(?:这|近)?十年来?\((.+)\)")


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def _year(text: str, raw: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ParseError(f"year out of range {MIN_YEAR}-{MAX_YEAR}: {raw!r}")
    return year


@lru_cache(maxsize=65536)  # a file repeats the same few periods on every row
def parse_period(text: str) -> Period:
    """Read a year (2022, 2022年, 2022年全年, 2022年1-12月), a half-year (2022H1, 2022年上半年, 2022年1-6月), a quarter
    (2022Q3, 2022年三季度), a month (2022M03, 2022年3月, 2022-03), a span from January (2022年1-9月, 2022年前三季度,
    2022M01-09) or a span of years (2012-2021, 2012—2021年)."""
    cleaned = (text or "").translate(_FULL_WIDTH).strip()
    if not cleaned:
        raise ParseError("empty period")
    if m := _DECADE_WORDS.fullmatch(cleaned):
        return parse_period(m.group(1))
    if "十年" in cleaned:
        raise ParseError(f"give the span of 十年来 explicitly, e.g. 十年来(2012-2021): {text!r}")
    if m := _YEAR.fullmatch(cleaned) or _FULL_YEAR.fullmatch(cleaned):
        year = _year(m.group(1), text)
        return Period(str(year), "year", date(year, 1, 1), date(year, 12, 31))
    if m := _HALF.fullmatch(cleaned):
        year = _year(m.group(1), text)
        first = m.group(2) == "1" or m.group(3) == "上" or (m.group(4) or "").startswith("1")
        if first:
            return Period(f"{year}H1", "half_year", date(year, 1, 1), date(year, 6, 30))
        return Period(f"{year}H2", "half_year", date(year, 7, 1), date(year, 12, 31))
    if m := _QUARTER.fullmatch(cleaned):
        year, quarter = _year(m.group(1), text), int(_CHINESE_DIGITS.get(m.group(3), m.group(3) or m.group(2)))
        last_month = quarter * 3
        return Period(f"{year}Q{quarter}", "quarter", date(year, last_month - 2, 1), _month_end(year, last_month))
    if m := _YEAR_TO_DATE.fullmatch(cleaned):
        year = _year(m.group(1), text)
        month = int(m.group(2) or m.group(3)) if not m.group(4) else 3 * _CHINESE_DIGITS[m.group(4)]
        if not 2 <= month <= 12:
            raise ParseError(f"a year-to-date period runs from January to a later month (1-2月 … 1-12月): {text!r}")
        if month == 12:
            return Period(str(year), "year", date(year, 1, 1), date(year, 12, 31))
        if month == 6:
            return Period(f"{year}H1", "half_year", date(year, 1, 1), date(year, 6, 30))
        if month == 3:
            return Period(f"{year}Q1", "quarter", date(year, 1, 1), date(year, 3, 31))
        return Period(f"{year}M01-{month:02d}", "year_to_date", date(year, 1, 1), _month_end(year, month))
    if m := _MONTH.fullmatch(cleaned):
        year, month = _year(m.group(1), text), int(m.group(2))
        if not 1 <= month <= 12:
            raise ParseError(f"no month {month}: {text!r}")
        return Period(f"{year}M{month:02d}", "month", date(year, month, 1), _month_end(year, month))
    if m := _SPAN.fullmatch(cleaned):
        start, end = _year(m.group(1), text), _year(m.group(2), text)
        if start >= end:
            raise ParseError(f"span must run forwards: {text!r}")
        return Period(f"{start}-{end}", "span", date(start, 1, 1), date(end, 12, 31))
    raise ParseError(f"not a period (2021, 2022H1, 2022年上半年, 2022Q3, 2022年1-9月, 前三季度, 2012-2021): {text!r}")
