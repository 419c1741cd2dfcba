"""What a table says about its own figures: the period a header or row label names, the unit a title, header or row
label gives. A layout declares both too; where the table states them, the two must agree (table_layout.py refuses
the file naming the cell otherwise), so a one-key slip in a layout (period 2018 over a column headed 2019年, 万元
where the title reads 亿元) never loads a figure under the wrong period or a wrong scale.

Pure: texts in, canonical labels out.
"""

from __future__ import annotations

import re

from orchestration.domain.parsing import ParseError, parse_period
from orchestration.domain.units import UNITS

# Units a bureau's table writes beside a name that units.py does not convert (counts, ratios): still units, so a
# header `(张)` where the layout says 万张 is a disagreement. Anything else in brackets (不含农户, 2018年修订) is not.
COUNT_UNITS = (
    "个",
    "张",
    "辆",
    "万辆",
    "台",
    "户",
    "万户",
    "床",
    "所",
    "项",
    "件",
    "人次",
    "万人次",
    "元/人",
    "公斤",
    "千克",
    "千瓦时",
)
_TRAILING_BRACKET = re.compile(r"[（(]([^（）()]{1,12})[）)]\s*$")
_UNIT_ROW = re.compile(r"(?:计量)?单位\s*[:：]\s*(\S{1,12})\s*$")
_PERIOD_WORDS = re.compile(r"(当季值|当月值|当期值|累计值|累计增长|同比增长|本月|累计)$")


def normalise_unit(text: str) -> str:
    return text.strip().replace("％", "%").replace("μg/m3", "μg/m³")


def known_units(extra: set[str] | frozenset[str] = frozenset()) -> frozenset[str]:
    """Texts read as a unit when a table writes them in brackets: the convertible ones, counts, and `extra` (the
    catalogue's indicator units and the units the layout declares)."""
    return frozenset(normalise_unit(u) for u in (*UNITS, *COUNT_UNITS, *extra) if u)


def stated_unit(text: str, units: frozenset[str]) -> str | None:
    """The unit a cell states: `单位：亿元` (any text after 单位：), or a known unit in brackets at its end
    (`指标：国内生产总值(亿元)`, `常住人口（万人）`, `工业增加值同比增长(%)`)."""
    text = (text or "").strip()
    if m := _UNIT_ROW.search(text):
        unit = normalise_unit(m.group(1))
        return None if any(sep in unit for sep in "、，,；;") else unit  # 单位：万元、% names no one unit
    if m := _TRAILING_BRACKET.search(text):
        unit = normalise_unit(m.group(1))
        return unit if unit in units else None
    return None


def stated_period(text: str) -> str | None:
    """The canonical period a header part or label states when it is nothing but a period (`2019年`, `2019年第四季度`,
    `2020年3月`, `2023年1-9月`), a unit in brackets and a kind word (当季值, 累计值) aside; None otherwise: a
    title like 衢州统计年鉴2023 names the book's year, not its figures'."""
    core = _TRAILING_BRACKET.sub("", (text or "").strip()).strip()
    core = _PERIOD_WORDS.sub("", core).strip()
    if not core or not core[:1].isdigit():
        return None
    try:
        return parse_period(core).label
    except ParseError:
        return None


def from_january(label: str) -> str:
    """The span from January to the end of a period (a 累计 figure under that period's column): 2019Q3 → 2019M01-09,
    2019Q4 → 2019 (the year), 2020M02 → 2020M01-02, 2019H1 → 2019H1. A year or a span from January stays."""
    period = parse_period(label)
    if period.kind in ("year", "year_to_date", "span"):
        return period.label
    return parse_period(f"{period.end.year}年1-{period.end.month}月").label if period.end.month > 1 else period.label
