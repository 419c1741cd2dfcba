"""The period a figure of a bulletin or a release is for, as its sentence says it. Pure.

A statistical bulletin describes a year; a bureau's release describes a quarter (一季度), a half-year (上半年, 1-6月),
a span from January (前三季度, 1-9月, 1-2月) or a month (9月份). The sentence says which, before its figures:
"一季度，全市生产总值714.73亿元", "2021年…比上年增长9.8%", "今年上半年…". A phrase is the figure's period only where
it is not a comparison ("比上年", "较1-2月份提高", "与上年持平", "高于全省"), not a basis ("按2019年平均汇率折算"), not
a date ("11月1日") and not a span's end ("2015-2019年").

The text's own period (`--period`: 2023, 2023Q1, 2023H1, 2023M01-09, 2023M09) is the default of a figure whose
sentence names none; such a figure is never `high` (see `settled`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestration.domain.parsing import ParseError, parse_period

_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
PHRASE = re.compile(
    r"(?:(?P<year>(?:19|20)[0-9]{2})年|(?P<this>今年)|(?P<last>上年|去年))?"
    r"(?:(?P<quarter>第?[一二三四1-4])季度"
    r"|(?P<half>[上下])半年"
    r"|前(?P<quarters>[二两三])季度"
    r"|1\s*[-—–~至]\s*(?P<to>[0-9]{1,2})月份?"
    r"|(?<![0-9\-—–~至])(?P<month>[0-9]{1,2})月份?(?![0-9]|份?[0-9]+日)"
    r"|(?P<full>全年|年末|年底))?"
)
# Words that make the phrase after them a comparison, a basis or a source, not the figure's period.
NOT_THE_PERIOD = ("比", "较", "与", "同", "于", "由", "从", "按", "据", "-", "—", "至", "到同期")
_SAME_PERIOD_LAST_YEAR = re.compile(r"(?:上年|去年)同期")


@dataclass(frozen=True)
class Phrase:
    start: int
    end: int
    label: str


def text_period(written: str | int) -> str:
    """--period as given (2023, 2023Q1, 2023H1, 2023M01-09, 2023年前三季度) → the warehouse's label."""
    return parse_period(str(written)).label


def phrases(folded: str, year: int, published: int | None) -> list[Phrase]:
    """Every phrase of the sentence that names the period of the figures after it, with its label."""
    out = []
    for m in PHRASE.finditer(folded):
        if m.end() == m.start() or _is_comparison(folded, m.start()):
            continue
        if m.group("last") and not _any_part(m):
            continue  # 上年 alone is the year compared with (比上年 is caught above); 上年末 is a stock's date
        if _SAME_PERIOD_LAST_YEAR.match(folded, m.start()):
            continue
        label = _label(m, year, published)
        if label:
            out.append(Phrase(m.start(), m.end(), label))
    return out


def _any_part(m: re.Match) -> bool:
    return any(m.group(g) for g in ("quarter", "half", "quarters", "to", "month", "full"))


def _is_comparison(folded: str, start: int) -> bool:
    before = folded[max(0, start - 3) : start]
    return before.endswith(NOT_THE_PERIOD) or before.endswith(("高于", "低于", "快于", "慢于", "相比"))


def _label(m: re.Match, year: int, published: int | None) -> str | None:
    if m.group("year"):
        year = int(m.group("year"))
    elif m.group("this"):
        if published is None:
            return None
        year = published
    elif m.group("last"):
        year -= 1
    elif not _any_part(m):
        return None
    try:
        if m.group("quarter"):
            return f"{year}Q{_QUARTERS[m.group('quarter')[-1]]}"
        if m.group("half"):
            return f"{year}H{1 if m.group('half') == '上' else 2}"
        if m.group("quarters"):
            return parse_period(f"{year}年前{'二' if m.group('quarters') == '两' else m.group('quarters')}季度").label
        if m.group("to"):
            return parse_period(f"{year}年1-{int(m.group('to'))}月").label
        if m.group("month"):
            return parse_period(f"{year}年{int(m.group('month'))}月").label
    except ParseError:
        return None
    return str(year)


def said_before(found: list[Phrase], pos: int) -> str | None:
    """The period the sentence's phrases (`phrases`) name last before pos (a figure's start), or None."""
    for phrase in reversed(found):
        if phrase.end <= pos:
            return phrase.label
    return None
