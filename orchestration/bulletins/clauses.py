"""The pieces of a sentence the extractor's rules (rules.py) read: lists said with 分别 and structures (ratios),
rates after a growth verb, the period a figure is said for, the region it is of, the names and stems a sentence
mentions, a second noun sharing a count's name. Pure: no Dagster, no DuckDB.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

from orchestration.bulletins import lists, periods
from orchestration.bulletins.figures import Figure, clause_start, figure_list, signed
from orchestration.bulletins.numerals import CHINESE
from orchestration.bulletins.text import Context
from orchestration.bulletins.vocabulary import CLASSIFIERS, Vocabulary
from orchestration.domain.parsing import ParseError, parse_quantity
from orchestration.domain.units import UnitError, to_canonical


def is_counted(indicator) -> bool:
    """Counted in a classifier, whatever the classifier written: 4家省级高新区 counts 个."""
    return indicator.value_type in ("count", "rank") or indicator.unit in CLASSIFIERS


def compatible(value: float, unit: str, code: str, vocab: Vocabulary) -> bool:
    """The figure's unit is the indicator's or converts to it (a count's classifier always does)."""
    indicator = vocab.indicators[code]
    if is_counted(indicator) and (not unit or unit in CLASSIFIERS):
        return True
    if unit in ("万", "亿") and indicator.unit.startswith(unit):
        return True
    try:
        to_canonical(
            parse_quantity(f"{value:f}"),  # never 2.00601e+06
            unit or indicator.unit,
            indicator.unit,
        )
        return bool(unit) or indicator.unit in ("倍",)
    except (ParseError, UnitError):
        return False


FORECAST = ("将", "预计", "有望", "力争", "计划")  # a figure that is not yet: 将缩短至40分钟, 有望达到100万元


def respectively(folded: str, nums: dict, vocab: Vocabulary, when: Periods, add, taken: set[int], rank) -> list[tuple]:
    """A list with 分别 ("A、B和C分别增长x%、y%和z%"): each subject its own figure, in order, or none of them (lists.py). Returns the spans
    of the subject lists it read, whose names no other rule reads again; their figures are marked taken."""
    claimed: list[tuple[int, int]] = []
    previous: tuple[list[str], int] | None = None  # "分别为A和B，比上年分别增长M%和N%": the same subjects again
    for r in lists.RESPECTIVELY.finditer(folded):
        growth = r.group("verb") is not None
        figures = rates_after(folded, nums, r.end(), r, vocab) if growth else figure_list(folded, nums, r.end(), vocab)
        if len(figures) < 2:
            continue
        if figures[-1].unit:  # "2332、33953和46268亿元": the unit written once, after the last
            figures = [f if f.unit else replace(f, unit=figures[-1].unit) for f in figures]
        start = clause_start(folded, r.start())
        written = folded[start : r.start()]
        average = written.endswith("年均")  # 城镇和农村居民人均可支配收入年均分别增长: over the span reviewed
        written = written.removesuffix("年均")
        if not written.strip() and previous and start - previous[1] <= 2:
            codes: list[str] | None = previous[0]
        else:
            if not written.strip():  # "蔬菜、瓜果供应充足，分别增长…": the subjects in the clause before
                start = clause_start(folded, max(start - 1, 0))
                written = folded[start : r.start()].rstrip("，,")
                if any(start <= p < r.start() for p in nums):
                    continue  # the clause before holds figures, not subjects
            if len(lists.subject_lists_parts(written)) < 2:
                continue  # one subject (城乡…, a pair the mentions know): not a list of names
            codes = lists.resolve(written, len(figures), partial(subject_code, vocab, growth))
        targets = [vocab.growth_stems.get(stem_of(c, vocab)) for c in codes] if codes and growth else codes
        context = when.context
        if targets and all(targets) and not (average and not context.since):
            period, explicit = when.at(figures[0].start, when.yearly if growth else False)
            if average:
                period, explicit = f"{context.since}-{context.year}", context.since < context.year
            for target, figure in zip(targets, figures, strict=True):
                add(target, figure, period, (figure.start, figure.end), explicit)
            if growth:  # "…分别增长6.1%和7.8%，增幅均居全省前五"
                rank(codes, figures[-1].end, period, explicit, figures[0].start)
        previous = (codes, figures[-1].end) if codes else None
        claimed.append((start, r.start()))
        taken.update(f.start for f in figures)
    return claimed


def subject_code(vocab: Vocabulary, growth: bool, name: str) -> str | None:
    """A list's subject: an indicator's name, or for a growth the stem of a growth indicator."""
    return vocab.names.get(name) or (f"stem:{name}" if growth and name in vocab.growth_stems else None)


def structures(folded: str, nums: dict, vocab: Vocabulary, when: Periods, add) -> list[tuple]:
    """A ratio ("三次产业结构为6.8:42.7:50.5", "由2018年的5.7:49.3:45.0…优化为6.6:45.8:47.6"): each share its own figure, when
    the catalogue names every part's share (第一产业比重 …)."""
    claimed = []
    for m in lists.STRUCTURE.finditer(folded):
        parts = lists.STRUCTURES[m.group("whole")]
        codes = [next((vocab.names[p + e] for e in lists.SHARE_ENDINGS if p + e in vocab.names), None) for p in parts]
        if not all(codes):
            continue
        period, explicit = when.at(m.start(), when.yearly)
        ratios = [("b", period)]
        if m.group("a1"):
            before = m.group("year") or (year_before(period, same_months=False) if m.group("prev") else None)
            ratios += [("a", before)] if before else []
        for group, label in ratios:
            for code, i in zip(codes, (1, 2, 3), strict=True):
                number = nums.get(m.start(f"{group}{i}"))
                if number is not None:
                    figure = Figure(number.start, number.end, number.value, number.decimals, "%", "exact")
                    add(code, figure, label, (m.start(), m.end()), explicit)
        claimed.append((m.start(), m.end()))
    return claimed


def rates_after(folded: str, nums: dict, pos: int, verb: re.Match, vocab: Vocabulary) -> list[Figure]:
    """The growth rates after 增长 (as written), 下降 (negative) or 持平 (0)."""
    if "持平" in verb.group():
        return [Figure(verb.start(), verb.end(), 0.0, 0, "%", "approximate" if verb.group("about") else "exact")]
    return [signed(f, verb.group("verb")) for f in figure_list(folded, nums, pos, vocab)]


def rank_qualifier(top: str) -> str:
    return "upper_bound" if top == "前" else "exact"  # 前三: third or better


def default_period(folded: str, pos: int, context: Context) -> tuple[str, bool]:
    """The year the text's figures describe (low confidence). An expected figure is for the year its clause names
    (预计2025年…将达到55%), else for the year it was expected in, the year of publication (将缩短至40分钟, low)."""
    if status_at(folded, pos) == "forecast":
        said = _YEAR.findall(folded, clause_start(folded, pos), pos)
        if said:
            return said[-1], True
        if context.published:
            return str(context.published), False
    return context.period, False


def outermost(mentions: list) -> list:
    """The longest name wins among stems and names too: 装备制造业增加值, not 装备制造业 inside it. In order."""
    out, reach = [], -1
    for mention in sorted(mentions, key=lambda m: (m[0], -m[1])):
        if mention[1] > reach:
            out.append(mention)
            reach = mention[1]
    return out


def elided_mentions(folded: str, mentions: list, vocab: Vocabulary) -> list[tuple[int, int, str]]:
    """The rest of a name whose subject was named earlier in the sentence: 新校园48个，累计投入资金48.19亿元."""
    out = []
    for rest, pairs in vocab.elided.items():
        for m in re.finditer(re.escape(rest), folded):
            if any(s <= m.start() < e for s, e, _ in mentions):
                continue  # inside a longer name said in full
            before = [c for s, e, c in mentions if e <= m.start()]
            code = next((code for subject, code in pairs if before and before[-1] == subject), None)
            if code:
                out.append((m.start(), m.end(), code))
    return out


def sibling_of(folded: str, nums: dict, pos: int, written: str, name: str, vocab: Vocabulary):
    """A second noun sharing the first's name around it, just after the first figure or noun (pos): "2234种高等植物和
    2400余种动物", "高等植物2350种、动物2500余种" (the catalogue's …动物种数). (code, number, span start, span end)
    or None."""
    joined = re.match(rf"(?:余|多)?[{CLASSIFIERS}]?(?:余|多)?[和、与及]", folded[pos:])
    if written not in name or not joined:
        return None
    head, tail = name.split(written, 1)
    at = pos + joined.end()

    def code_of(noun: str) -> str | None:
        return vocab.names.get(head + noun + tail) or vocab.names.get(head + noun + tail.removesuffix("数"))

    if (number := nums.get(at)) is not None and (counted_first := _WORDS_AFTER_COUNT.match(folded, number.end)):
        noun_start = counted_first.start("noun")
        for length in range(len(counted_first.group("noun")), 1, -1):  # 动物资源 may follow: the longest name
            if code := code_of(folded[noun_start : noun_start + length]):
                return code, number, number.start, noun_start + length
        return None
    noun_first = _NOUN_THEN_COUNT.match(folded, at)
    number = nums.get(noun_first.start("n")) if noun_first else None
    if noun_first and number is not None and (code := code_of(noun_first.group("noun"))):
        return code, number, at, noun_first.end()
    return None


_NOUN = rf"[^，,。；;、和与及0-9{CHINESE}\s]"
_WORDS_AFTER_COUNT = re.compile(rf"(?:余|多)?[{CLASSIFIERS}](?:余|多)?(?P<noun>{_NOUN}{{2,8}})")
_NOUN_THEN_COUNT = re.compile(rf"(?P<noun>{_NOUN}{{2,8}}?)(?:为|有|达)?(?P<n>[0-9]+|[{CHINESE}]+)(?:余|多)?[{CLASSIFIERS}]?")


def status_at(folded: str, pos: int) -> str:
    """forecast when its clause says the figure is expected, not reached."""
    return "forecast" if any(word in folded[clause_start(folded, pos) : pos] for word in FORECAST) else "normal"


def skip_words(folded: str, pos: int, end: int) -> int:
    """Past the few words between a name and its 从 (城镇化率 从…, 浓度从…)."""
    found = folded.find("从", pos, min(end, pos + 4))
    return found if found >= 0 else pos


def stem_mentions(folded: str, vocab: Vocabulary) -> list[tuple[int, int, object]]:
    """Growth and change stems (财政民生支出, 常住人口), and the pairs 城乡X / 城镇、农村X for (城镇X, 农村X)."""
    out: list[tuple[int, int, object]] = []
    for stems in (vocab.growth_stems, vocab.change_stems):
        for stem in sorted(stems, key=len, reverse=True):
            out += [(m.start(), m.end(), stem_code(stem, vocab)) for m in re.finditer(re.escape(stem), folded)]
    urban_names = {*vocab.growth_stems, *vocab.change_stems, *vocab.names}
    for urban in sorted(n for n in urban_names if n.startswith("城镇")):
        rural = "农村" + urban[2:]
        if rural not in urban_names:
            continue
        pair = (stem_code(urban, vocab), stem_code(rural, vocab))
        for written in ("城乡" + urban[2:], "城镇、农村" + urban[2:], "城镇和农村" + urban[2:]):
            out += [(m.start(), m.end(), pair) for m in re.finditer(re.escape(written), folded)]
    return out


def stem_code(stem: str, vocab: Vocabulary) -> str:
    return vocab.names.get(stem) or f"stem:{stem}"


def stem_of(code: str, vocab: Vocabulary) -> str:
    if code.startswith("stem:"):
        return code[5:]
    indicator = vocab.indicators.get(code)
    return indicator.name if indicator else code


_YEAR_SAID = re.compile(r"从([0-9]{4})年")
_YEAR = re.compile(r"((?:19|20)[0-9]{2})年")
_SINCE = re.compile(r"([0-9]{4})年[^，,。；;]{0,8}以来")


def year_said_before(folded: str, pos: int) -> str | None:
    """A start year said earlier in the sentence (从2013年的68…下降到24, 优良率从68.2%…: both from 2013)."""
    found = _YEAR_SAID.findall(folded, 0, pos)
    return found[-1] if found else None


def since_said(folded: str, pos: int, context: Context) -> tuple[str, bool] | None:
    """A span said as "2019年开港以来…1100万吨": a figure accumulated from that year to the text's present."""
    m = None
    for m in _SINCE.finditer(folded, 0, pos):  # noqa: B007 (the last one before the figure)
        pass
    if m and context.published:
        return f"{m.group(1)}-{context.published}", True
    return None


# A sentence that compares with the year before settles a bulletin's figure as the year's: 比上年增长, 比上年末增加.
_YEAR_COMPARED = re.compile(r"(?:比|较|与)(?:上年|去年)(?!同期)")


class Periods:
    """The periods a sentence names (periods.py), and what a figure without one is for."""

    def __init__(self, folded: str, context: Context):
        self.context = context
        self.found = periods.phrases(folded, context.year, context.published)
        self.yearly = context.annual and _YEAR_COMPARED.search(folded) is not None

    def said(self, pos: int) -> tuple[str, bool] | None:
        label = periods.said_before(self.found, pos)
        return (label, True) if label else None

    def at(self, pos: int, settled: bool) -> tuple[str, bool]:
        """The period said before pos, else the text's (settled only when the caller knows the sentence settles
        it)."""
        return self.said(pos) or (self.context.period, settled)

    def now(self, pos: int) -> tuple[str, bool]:
        return self.said(pos) or (self.context.now, False)


def year_before(label: str, same_months: bool) -> str:
    """上年 of 2023 is 2022; 上年同期 of 2023Q1 is 2022Q1."""
    return str(int(label[:4]) - 1) + (label[4:] if same_months else "")


def region_of(folded: str, pos: int, regions, vocab: Vocabulary, context: Context) -> tuple[str, bool]:
    """The last region named before pos in the sentence: by name; 市区, the urban districts of the text's region;
    全市 / 全县 / 全省, the text's region itself. None named: the text's region, as a default (low confidence)."""
    found, at = None, -1
    for m in regions.finditer(folded, 0, pos):
        found, at = vocab.regions[m.group()], m.start()
    for word in ("全市", "全县", "全区", "全省", "市区"):
        where = folded.rfind(word, 0, pos)
        if where > at:  # 衢州市区 too: the urban districts
            target = vocab.urban_districts_of(context.region) if word == "市区" else context.region
            if target:
                found, at = target, where
    return (found or context.region), found is not None
