"""What the extractor knows of the catalogue: every name and alias of each indicator and region, the stems of growth
and change indicators (财政民生支出 of 财政民生支出年均增长率), units. Read from the catalogue files of raw/. Pure."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from orchestration.bulletins.numerals import integer_value
from orchestration.domain.units import UNITS

_SUBSCRIPT = re.compile(r"([A-Za-z])([0-9]+(?:\\\.[0-9]+)?)")  # in an escaped name: PM2\.5
# The endings that make an indicator the growth or the change of another quantity (the stem before them).
GROWTH_ENDINGS = ("年均增长率", "增长率(可比价)", "增长率")
CHANGE_ENDINGS = ("增加量",)
GROWTH_RANK_ENDINGS = ("增幅全省位次", "增速全省位次", "增幅全国位次", "增速全国位次")  # X增幅全省位次: X's growth's place
INTERVAL_ENDING = "间隔"  # 智能巡查间隔: how often 智能巡查 happens ("两小时一次")
# 增幅居全省前五的主要经济指标项数: how many of a set of indicators rank in a place ("11项全省前五")
_RANK_COUNT_NAME = re.compile(
    r"居(?:全省|全国|全市)(?P<top>前|第)(?P<n>[一二三四五六七八九十0-9]+)(?:位|名)?的(?P<subject>.+?)项?数$"
)
# Measure words a count or rank is written with: a classifier, not a unit (4家省级高新区 counts 个).
CLASSIFIERS = "个家项条类种只名次所座件户位届"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    value_type: str


@dataclass
class Vocabulary:
    indicators: dict[str, Indicator] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # name or alias → indicator code
    growth_stems: dict[str, str] = field(default_factory=dict)  # stem → growth indicator code
    change_stems: dict[str, str] = field(default_factory=dict)  # stem → change indicator code
    growth_ranks: dict[str, str] = field(default_factory=dict)  # stem → the rank of its growth (增幅全省位次)
    intervals: dict[str, str] = field(default_factory=dict)  # stem → interval indicator code (智能巡查 → …间隔)
    rank_counts: dict[tuple[str, str, int], str] = field(default_factory=dict)  # (subject code, 前/第, n) → code
    # A subject's name left out after its first mention: "新校园48个，累计投入资金48.19亿元" (新校园累计投入资金).
    elided: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # the rest → [(subject code, code)]
    # An amount converted to US dollars ("按年平均汇率折算为11383美元"): the level's code → the dollar indicator's code
    in_dollars: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)  # name or alias → region code
    region_level: dict[str, str] = field(default_factory=dict)
    region_parent: dict[str, str] = field(default_factory=dict)
    units: tuple[str, ...] = ()  # longest first

    def urban_districts_of(self, region: str) -> str | None:
        """市区: the urban districts of the region the text is about."""
        return next(
            (c for c, p in self.region_parent.items() if p == region and self.region_level.get(c) == "urban_districts"), None
        )

    @cached_property  # built once: a text has thousands of sentences
    def name_pattern(self) -> re.Pattern:
        """Every name, the longest first (人均生产总值 before 生产总值); a digit after a letter may carry a digitised
        page's subscript markup (PM_{2.5} for PM2.5)."""
        names = sorted(self.names, key=len, reverse=True)
        return re.compile("|".join(_SUBSCRIPT.sub(r"\1(?:_\\{)?\2\\}?", re.escape(n)) for n in names))

    def code_of(self, written: str) -> str:
        return self.names[written.replace("_{", "").replace("}", "")]

    @cached_property
    def region_pattern(self) -> re.Pattern:
        return re.compile("|".join(re.escape(n) for n in sorted(self.regions, key=len, reverse=True)))


def _find_elided(vocab: Vocabulary) -> None:
    """Names that are another indicator's name followed by a rest that is no name of its own and no growth or change
    ending (新校园 + 累计投入资金): the rest alone, after the subject in a sentence, is this indicator."""
    endings = (*GROWTH_ENDINGS, *CHANGE_ENDINGS, "增速", "增幅")
    for name, code in vocab.names.items():
        for subject, subject_code in vocab.names.items():
            rest = name[len(subject) :]
            if (
                subject_code != code
                and name.startswith(subject)
                and len(rest) >= 3
                and rest not in vocab.names
                and not rest.endswith(endings)
            ):
                vocab.elided.setdefault(rest, []).append((subject_code, code))


def _stems_by_alias(vocab: Vocabulary) -> None:
    """A growth or change indicator's stem that is another indicator's name is found by that indicator's aliases too:
    规模以上工业增加值增长率 is the growth of 规上工业增加值 when the level lists that alias."""
    names_of: dict[str, list[str]] = {}
    for name, code in vocab.names.items():
        names_of.setdefault(code, []).append(name)
    for stems in (vocab.growth_stems, vocab.change_stems, vocab.growth_ranks):
        for stem, code in list(stems.items()):
            for name in names_of.get(vocab.names.get(stem, ""), []):
                if name != stem:
                    stems.setdefault(name, code)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def load(raw: Path) -> Vocabulary:
    vocab = Vocabulary()
    for row in _rows(raw / "catalogue" / "indicators.csv"):
        code = row["indicator_code"]
        vocab.indicators[code] = Indicator(code, row["name_zh"], row["unit"], row["value_type"])
        names = {row["name_zh"], *(row.get("aliases") or "").split("|")}
        if row["name_zh"].endswith("数") and row["value_type"] in ("count", "level"):
            names.add(row["name_zh"][:-1])  # 国家高新技术企业数: the text counts 国家高新技术企业
        for name in names:
            if len(name) >= 2:
                vocab.names.setdefault(name, code)
        for name in sorted(names, key=lambda n: n != row["name_zh"]):  # the name first, then its aliases
            ending = next((e for e in GROWTH_ENDINGS if name.endswith(e)), None)
            if ending and row["value_type"] == "avg_annual_growth":
                vocab.growth_stems.setdefault(name[: -len(ending)], code)
        for ending in CHANGE_ENDINGS:
            if row["name_zh"].endswith(ending):
                vocab.change_stems[row["name_zh"][: -len(ending)]] = code
        for name in names:
            for ending in GROWTH_RANK_ENDINGS:
                if name.endswith(ending) and row["value_type"] == "rank":
                    vocab.growth_ranks[name[: -len(ending)]] = code
            if name.endswith(INTERVAL_ENDING) and len(name) > len(INTERVAL_ENDING) + 1:
                vocab.intervals[name[: -len(INTERVAL_ENDING)]] = code
    _stems_by_alias(vocab)
    for code, indicator in vocab.indicators.items():  # 人均生产总值(美元): the dollars of 人均生产总值
        level = re.sub(r"[(（]?折?美元[)）]?$", "", indicator.name)
        if indicator.unit == "美元" and level != indicator.name and level in vocab.names:
            vocab.in_dollars[vocab.names[level]] = code
    for code, indicator in vocab.indicators.items():
        if (m := _RANK_COUNT_NAME.search(indicator.name)) and m.group("subject") in vocab.names:
            vocab.rank_counts[(vocab.names[m.group("subject")], m.group("top"), integer_value(m.group("n")))] = code
    _find_elided(vocab)
    for row in _rows(raw / "catalogue" / "regions.csv"):
        code = row["region_code"]
        vocab.region_level[code], vocab.region_parent[code] = row["level"], row.get("parent_code") or ""
        names = {row["name_zh"], *(row.get("aliases") or "").split("|")}
        if row["name_zh"][-1:] in "省市县区" and len(row["name_zh"]) > 2 and row["level"] != "urban_districts":
            names.add(row["name_zh"][:-1])  # 衢州市 is written 衢州, 开化县 开化
        if row["level"] == "country":
            names.add("全国")
        for name in names:
            if len(name) >= 2:
                vocab.regions.setdefault(name, code)
    units = set(UNITS) | {i.unit for i in vocab.indicators.values()} | {"微克/立方米", "平方米", "分钟", "小时", "亩", "美元"}
    vocab.units = tuple(sorted(units - {""}, key=len, reverse=True))
    return vocab
