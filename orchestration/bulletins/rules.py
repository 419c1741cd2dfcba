"""Candidate figures from a bulletin's or an article's prose, each with its sentence, its span and a confidence.

The idiom of Chinese statistical bulletins, read generically (no rule names a sentence of any one text):
- a catalogue name or alias, then the figure: "X为N单位", "实现X N单位", "X达到N单位", "X N单位，比上年增长M%";
- "从A提高（增加、下降、缩小）到B" (two figures: A at the start year, B at the text's year), "从2013年的A…";
- "年均增长M%" (the growth indicator of X: 财政民生支出 → 财政民生支出年均增长率), "分别为A和B" with its subjects,
  城乡 (城镇 and 农村) as a pair of subjects;
- "增加N万人" / "新增N" (the change indicator of X, never its stock);
- a count written before its noun: "46类智能算法", "六大标志性产业链";
- 约 / 左右 (approximate), 超过 / 突破 / 以上 / 余 / 多 (lower bound), 不到 / 以内 (upper bound);
- Chinese numerals, full-width digits, 万 / 亿, units in words (微克/立方米).
Neighbours are kept apart: the longest name wins (人均生产总值 is not 生产总值), a growth rate never becomes the
level, "提高1.1个百分点" is not the rate, "增加57家" is not the stock.

A candidate is `high` when its indicator, figure, unit and period were all read in the sentence, `low` when one of
them is a default (the text's year, the region the text is about). Pure: no Dagster, no DuckDB.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from functools import partial

from orchestration.bulletins import lists, periods
from orchestration.bulletins.figures import (
    ROMAN,
    Figure,
    after_words,
    clause_end,
    clause_start,
    figure_at,
    figure_ending_at,
    figure_list,
    number_before,
    qualifier_of,
    signed,
)
from orchestration.bulletins.numerals import CHINESE, fold, integer_value, numbers
from orchestration.bulletins.periods import text_period
from orchestration.bulletins.vocabulary import CLASSIFIERS, Vocabulary
from orchestration.domain.parsing import ParseError, parse_quantity
from orchestration.domain.units import UnitError, to_canonical

LEVEL_GAP = 8  # at most this many characters between a name and its figure ("养老机构护理型床位占比达到56%")
CHANGE_VERBS = ("增加", "新增", "增长", "减少", "下降", "提高", "上升", "降低", "缩小", "扩大", "缩短")
FROM_TO = re.compile(r"(?:从|由)(?:(?P<year>[0-9]{4})年|(?P<prev>上年|去年)(?P<same>同期)?)?的?")
TO = re.compile(r"(?:提高|增加|增长|上升|下降|减少|缩小|扩大|降低|提升|缩短)?(?:到|至)")
COUNT_VERB = re.compile(r"(?:为|达到|达|有|共|是|计|总数)$")  # a count after its noun: 新校园共有48个
RESPECTIVELY = re.compile(r"(?:分别为|分别是|分别达到|分别达)")
YOY = re.compile(r"(?:比上年|同比|较上年)(?:分别)?(?P<verb>增长|下降)(?![到至])")
# "第一产业增加值91812万元，增长6.5%": a growth right after its level needs no 比上年
GROWTH_NEXT = re.compile(
    r"\s*[，,、]?\s*(?:按(?:可比|不变)价格?计算[，,]?\s*)?(?:比上年|同比|较上年)?(?P<verb>增长|下降)(?![到至])"
)
NEXT_CLAUSE_LEVEL = re.compile(r"\s*(?:达到|达|为)")
CONVERTED = re.compile(
    r"按[^，,。；;]{0,20}?(?:折算|折合|计算)(?:为|成)?[，,]?\s*(?:[^，,。；;0-9]{0,10}?(?:约合|合|为))?(?:约)?"
)
# "与上年持平": a growth of 0 (not "与1-2月份持平", which says the growth equals another period's)
FLAT = re.compile(r"(?:与上年(?:同期)?|同比|比上年)(?P<about>基本)?持平")
YOY_CHANGE = re.compile(r"比上年末?(?:分别)?(?:增加|减少|净增)")
GROWTH = re.compile(r"(?P<avg>年均)?(?:分别)?(?:比上年|同比|较上年)?(?:分别)?(?P<verb>增长|下降)(?![到至])")
CHANGE = re.compile(r"(?:分别)?(?:增加|新增|净增|减少)")
PLACE = rf"[^，,。；;]{{0,6}}?(?:全省|全国|全市)(?P<top>第|前)(?P<n>[0-9{CHINESE}]+)(?:名|位)?"  # 位居全省前三
RANK = re.compile(PLACE)
# "…年均分别增长8.9%、10%，增幅始终位居全省前三": the place of the growth just given, in the next clause
GROWTH_RANK = re.compile(rf"[，,]\s*(?:[^，,。；;]{{0,12}}个百分点[，,]\s*)?(?:增幅|增速)?(?:排位|排名)?{PLACE}")
# "12项主要经济指标增幅，11项全省前五、6项前三": how many of them rank in a place
RANK_COUNT = re.compile(
    rf"(?P<n>[0-9]+|[{CHINESE}]+)项(?:指标)?(?:增幅|增速)?(?:位?居|位列|列)?(?:全省|全国|全市)?(?P<top>前|第)(?P<place>[0-9{CHINESE}]+)(?:名|位)?"
)
# "两小时一次", "每30分钟一次": an interval
INTERVAL = re.compile(rf"每?(?P<n>[0-9]+(?:\.[0-9]+)?|[{CHINESE}]+)\s*(?P<unit>小时|分钟|天|周)\s*(?:一次|1次)")


@dataclass
class Candidate:
    region_code: str
    indicator_code: str
    period: str
    value: str
    unit: str
    value_type: str
    obs_status: str
    qualifier: str
    as_published: str
    source_id: str
    note: str
    sentence: str
    span_start: int
    span_end: int
    confidence: str

    def row(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Context:
    source: str
    region: str
    period: str  # the period the text's figures describe, as the warehouse labels it: 2023, 2023Q1, 2023M01-09
    since: int | None  # the start of "从A到B" and of the decade the text reviews
    published: int | None  # the year of publication: 今年

    def __post_init__(self) -> None:
        object.__setattr__(self, "period", text_period(self.period))  # 2023 and 2023年前三季度 too

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def annual(self) -> bool:
        return self.period == str(self.year)

    @property
    def now(self) -> str:
        """The period of a count or a practice said in the present (46类智能算法): a bulletin's year of publication,
        a release's own period."""
        return str(self.published) if self.annual and self.published else self.period


_BREAK = re.compile(r"[。！？!?；;]|\n[ \t\u3000]*\n")


# A bulletin's longest sentences run to ~130 characters. A "sentence" longer than this is a pasted table or a text
# without full stops: it is cut at clause marks, so that the work and the review file stay linear in the text (each
# candidate keeps its sentence).
MAX_SENTENCE_CHARS = 600
_CLAUSE_END = re.compile(r"[，,、：:\s]")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, the end after its full stop. A blank line ends a heading or a caption (a line
    without a comma), not a sentence a digitised page broke in two."""
    out, start = [], 0
    for m in _BREAK.finditer(text):
        if m.group().startswith("\n") and ("，" in text[start : m.start()] or "," in text[start : m.start()]):
            continue
        if text[start : m.end()].strip():
            out += _bounded(text, start, m.end())
        start = m.end()
    if text[start:].strip():
        out += _bounded(text, start, len(text))
    return out


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence cut after its last clause mark before every MAX_SENTENCE_CHARS (or at the cap, if it has none)."""
    out = []
    while end - start > MAX_SENTENCE_CHARS:
        window = text[start : start + MAX_SENTENCE_CHARS]
        marks = [m.end() for m in _CLAUSE_END.finditer(window)]
        cut = start + (marks[-1] if marks and marks[-1] > MAX_SENTENCE_CHARS // 2 else MAX_SENTENCE_CHARS)
        out.append((start, cut))
        start = cut
    return [*out, (start, end)]


def _counted(indicator) -> bool:
    """Counted in a classifier, whatever the classifier written: 4家省级高新区 counts 个."""
    return indicator.value_type in ("count", "rank") or indicator.unit in CLASSIFIERS


def _compatible(value: float, unit: str, code: str, vocab: Vocabulary) -> bool:
    """The figure's unit is the indicator's or converts to it (a count's classifier always does)."""
    indicator = vocab.indicators[code]
    if _counted(indicator) and (not unit or unit in CLASSIFIERS):
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


def extract(text: str, vocab: Vocabulary, context: Context) -> list[Candidate]:
    out: list[Candidate] = []
    for s_start, s_end in sentences(text):
        out += _from_sentence(text, s_start, s_end, vocab, context)
    proposed: dict[tuple[str, str, str], Candidate] = {}
    for candidate in out:  # the same figure said again later in the text: the steward picks one
        key = (candidate.region_code, candidate.indicator_code, candidate.period)
        if key in proposed:
            candidate.confidence = "low"
            candidate.note = f"the same figure is proposed at characters {proposed[key].span_start}-{proposed[key].span_end} too"
        else:
            proposed[key] = candidate
    return out


def _from_sentence(text: str, s_start: int, s_end: int, vocab: Vocabulary, context: Context) -> list[Candidate]:
    out: list[Candidate] = []
    names, regions = vocab.name_pattern, vocab.region_pattern
    decade = context.since is not None and context.since < context.year
    sentence = text[s_start:s_end]
    folded = fold(sentence)
    nums = {n.start: n for n in numbers(folded)}
    if not nums and not any(c in folded for c in ROMAN) and "持平" not in folded:
        return out
    taken: set[int] = set()  # number starts already used by a candidate
    shared_taken: set[tuple[int, str]] = set()  # a figure said of several subjects: once for each

    def add(code: str, figure: Figure, period: str, span: tuple[int, int], high: bool, shared: bool = False) -> None:
        """shared: one figure said of several subjects (城乡居民收入增幅均居全省前三)."""
        if (figure.start in taken and not shared) or (figure.start, code) in shared_taken or code not in vocab.indicators:
            return
        if figure.unit == "美元" and code in vocab.in_dollars:  # 人均生产总值约合20533美元: its dollar indicator
            code = vocab.in_dollars[code]
        indicator = vocab.indicators[code]
        if not _compatible(figure.value, figure.unit, code, vocab):
            return
        taken.add(figure.start)
        shared_taken.add((figure.start, code))
        unit = indicator.unit if _counted(indicator) or not figure.unit else figure.unit
        if unit in ("万", "亿") and indicator.unit.startswith(unit):  # 增加15.5万 (人): the indicator's 万人
            unit = indicator.unit
        region, region_read = _region_of(folded, max(span[0], figure.start), regions, vocab, context)  # 全市生产总值 too
        start, end = span
        if sentence[end : end + 1] and sentence[end] in "”」』":  # the quotation a name is written in: 十个“桥头堡”
            end += 1
        out.append(
            Candidate(
                region_code=region,
                indicator_code=code,
                period=period,
                value=figure.text(),
                unit=unit,
                value_type=indicator.value_type,
                obs_status=_status(folded, figure.start),
                qualifier=figure.qualifier,
                as_published=sentence[start:end],
                source_id=context.source,
                note=sentence.strip(),
                sentence=sentence.strip(),
                span_start=s_start + start,
                span_end=s_start + end,
                confidence="high" if high and region_read else "low",
            )
        )

    def add_sibling(sibling, period: str, explicit: bool) -> None:
        if sibling:
            code, number, start, end = sibling
            qualifier = qualifier_of(folded, number.start, number.end)
            add(
                code,
                Figure(number.start, number.end, number.value, number.decimals, "", qualifier),
                period,
                (start, end),
                explicit,
            )

    when = _Periods(folded, context)

    def _growth_rank(codes: list[str], pos: int, period: str, high: bool, m_start: int) -> None:
        """The place of the growth just given, for each subject: "增长11.9%，高于全省5.6个百分点，居全省第4位"."""
        ranks = [vocab.growth_ranks.get(_stem_of(c, vocab)) for c in codes]
        if all(ranks) and (r := GROWTH_RANK.match(folded, pos)) and (place := integer_value(r.group("n"))):
            figure = Figure(r.start("n"), r.end("n"), float(place), 0, "", _rank_qualifier(r.group("top")))
            for rank_code in ranks:
                add(rank_code, figure, period, (m_start, r.end()), high, shared=True)

    # 分别 lists and ratios first: their figures are theirs alone, mapped one to one or not at all
    claimed = _respectively(folded, nums, vocab, when, add, taken, _growth_rank) + _structures(folded, nums, vocab, when, add)
    mentions = [(m.start(), m.end(), vocab.code_of(m.group())) for m in names.finditer(folded)]
    # stems of growth and change indicators, and 城乡 pairs (城镇… and 农村…)
    for m_start, m_end, code in _stem_mentions(folded, vocab):
        mentions.append((m_start, m_end, code))
    mentions += _elided_mentions(folded, mentions, vocab)
    mentions = _outermost(mentions)
    mentions = [m for m in mentions if not any(start <= m[0] < end for start, end in claimed)]
    for i, (m_start, m_end, code) in enumerate(mentions):
        codes = [code] if not isinstance(code, tuple) else list(code)
        next_start = next((s for s, _, _ in mentions[i + 1 :] if s >= m_end), len(folded))
        segment_end = min(clause_end(folded, m_end), next_start) if not isinstance(code, tuple) else clause_end(folded, m_end)
        # 从A到B
        if (m := FROM_TO.match(folded, _skip_words(folded, m_end, segment_end))) and m.end() < len(folded):
            a = figure_at(folded, nums, m.end(), vocab)
            if a and (to := TO.match(folded, a.end)):
                b = figure_at(folded, nums, to.end(), vocab)
                if b and not isinstance(code, tuple):
                    b_period = when.said(m_start)
                    b_period = b_period[0] if b_period else context.period
                    said = m.group("year") or _year_said_before(folded, m.start())
                    if m.group("prev"):  # 由上年的A提高到B; 由上年同期的A: the same months a year before
                        said = _year_before(b_period, same_months=bool(m.group("same")))
                    start_year = said or (str(context.since) if context.since else None)
                    if start_year:
                        add(code, a, start_year, (m_start, b.end), said is not None or decade)
                    add(code, b, b_period, (m_start, b.end), True)
                    continue
        # growth (年均增长, 比上年增长): the growth indicator of the subject, never its level
        g = GROWTH.search(folded, m_end, segment_end) or FLAT.search(folded, m_end, segment_end)
        if g and not any(m_end <= p < g.start() for p in nums):  # not "X 10.4万吨、增长1.5%": a level first
            figures = _rates(folded, nums, g.end(), g, vocab)
            targets = [vocab.growth_stems.get(_stem_of(c, vocab)) for c in codes]
            if figures and all(targets) and len(figures) == len(targets):  # A和B分别增长M%: one for one, or none
                # 年均增长: over the span the text reviews (none given: nothing to propose)
                if g.groupdict().get("avg"):  # FLAT has no 年均
                    if not context.since:
                        continue
                    period, high = f"{context.since}-{context.year}", decade
                else:  # 比上年增长: the year's growth
                    period, high = when.at(figures[0].start, when.yearly)
                for target, figure in zip(targets, figures, strict=False):
                    add(target, figure, period, (m_start, figures[-1].end), high)
                _growth_rank(codes, figures[-1].end, period, high, m_start)
            continue
        if c := CHANGE.search(folded, m_end, segment_end):
            figures = [signed(f, c.group()) for f in figure_list(folded, nums, c.end(), vocab)]
            targets = [vocab.change_stems.get(_stem_of(c_, vocab)) for c_ in codes]
            if figures and all(targets):
                period = f"{context.since}-{context.year}" if context.since else context.period
                for target, figure in zip(targets, figures, strict=False):
                    add(target, figure, period, (m_start, figures[-1].end), decade)
            continue
        if isinstance(code, tuple):  # 城乡居民人均可支配收入分别为A和B
            if (both := RESPECTIVELY.match(folded, m_end)) and all(c in vocab.indicators for c in codes):
                figures = figure_list(folded, nums, both.end(), vocab)
                if len(figures) == len(codes):
                    period, explicit = when.at(figures[0].start, when.yearly)
                    for target, figure in zip(codes, figures, strict=True):
                        add(target, figure, period, (m_start, figures[-1].end), explicit)
            continue
        if code not in vocab.indicators:
            continue
        if vocab.indicators[code].value_type == "rank":  # 全省第一, 全国前三: a place, not a figure of the thing
            rank = RANK.match(folded, m_end)
            if rank and (place := integer_value(rank.group("n"))):
                figure = Figure(rank.start("n"), rank.end("n"), float(place), 0, "", _rank_qualifier(rank.group("top")))
                period, explicit = when.at(rank.start(), False)
                add(code, figure, period, (m_start, rank.end()), explicit)
            continue
        # "人均可支配收入首次突破(四)万元，达10366元": a clause without a figure (or with a bound it passed), then the
        # figure in the next one
        if (
            segment_end < len(folded)
            and folded[segment_end] in "，,"
            and all(qualifier_of(folded, p, nums[p].end) == "lower_bound" for p in nums if m_end <= p < segment_end)
            and (n := NEXT_CLAUSE_LEVEL.match(folded, segment_end + 1))
            and (figure := figure_at(folded, nums, n.end(), vocab))
            and figure.unit
            and vocab.indicators[code].value_type == "level"
        ):
            period, explicit = when.said(figure.start) or _default_period(folded, figure.start, context)
            add(code, figure, period, (m_start, figure.end), explicit)
            continue
        # a level: the first figure after the name in its clause (not a change: 提高1.1个百分点, 增加57家)
        for pos in range(m_end, segment_end):
            if pos in nums or folded[pos] in ROMAN:
                before = folded[m_end:pos]
                figure = figure_at(folded, nums, pos, vocab)
                if figure is None or folded[figure.end : figure.end + 3].startswith("个百分点"):
                    break
                if len(before.strip()) > LEVEL_GAP or "、" in before:  # a figure that far is another phrase's
                    break
                counted = vocab.indicators[code].value_type == "count"
                if counted and before.strip() and not COUNT_VERB.search(before):  # 高等植物和2400余种动物: another noun's
                    break
                if any(verb in before for verb in CHANGE_VERBS) and not before.endswith(("到", "至")):
                    break  # 提高1.1个百分点, 增加57家: a change; 缩小至1.76, 提高到2%: the level reached
                period, explicit = _since_said(folded, pos, context) or when.said(pos) or _default_period(folded, pos, context)
                add(code, figure, period, (m_start, figure.end + after_words(folded, figure.end)), explicit)
                if counted:  # 高等植物2350种、动物2500余种
                    name = vocab.indicators[code].name
                    add_sibling(_sibling(folded, nums, figure.end, folded[m_start:m_end], name, vocab), period, explicit)
                rest_end = min(next_start, len(folded))
                after = figure.end + after_words(folded, figure.end)
                # "年末常住人口229.7万人，比上年末增加0.7万人": the change of the same subject over the year
                change_code = vocab.change_stems.get(_stem_of(code, vocab))
                c = YOY_CHANGE.search(folded, figure.end, rest_end)
                changes = figure_list(folded, nums, c.end(), vocab) if c else []
                if c and changes and changes[0].unit != "%":
                    if change_code:
                        add(change_code, signed(changes[0], c.group()), period, (c.start(), changes[0].end), explicit)
                    if c.start() - after <= 2:  # "户籍人口218.7万人，比上年增加8630人，增长0.4%": the growth after it
                        after = changes[0].end
                # "人均生产总值19763元，按2018年平均汇率计算为2865美元": the same figure in dollars
                d = CONVERTED.search(folded, after, rest_end) if code in vocab.in_dollars else None
                if d and (dollars := figure_at(folded, nums, d.end(), vocab)) and dollars.unit == "美元":
                    add(code, dollars, period, (d.start(), dollars.end), explicit)
                # "X N单位，按可比价格计算，比上年增长M%", "X N单位，增长M%": the growth of the same subject
                growth_code = vocab.growth_stems.get(_stem_of(code, vocab))
                if growth_code and (
                    g := GROWTH_NEXT.match(folded, after) or FLAT.match(folded, after + 1) or YOY.search(folded, after, rest_end)
                ):
                    rates = _rates(folded, nums, g.end(), g, vocab)
                    if rates and rates[0].unit == "%":
                        add(growth_code, rates[0], period, (m_start, rates[0].end), explicit)
                        _growth_rank([code], rates[0].end, period, explicit, m_start)
                break
    # a count written before its noun: 46类智能算法, 六大标志性产业链, 2234种高等植物
    for m_start, m_end, code in mentions:
        if isinstance(code, tuple) or code not in vocab.indicators:
            continue
        indicator = vocab.indicators[code]
        if indicator.value_type == "level" and (figure := figure_ending_at(folded, nums, m_start, vocab)):
            if figure.unit == indicator.unit:  # 千亩丝瓜络基地: a quantity written before its noun
                period, explicit = when.now(figure.start)
                add(code, figure, period, (figure.start, m_end), explicit)
            continue
        if indicator.value_type not in ("count", "cumulative"):
            continue
        number = number_before(folded, nums, m_start)
        if number is not None:
            figure = Figure(
                number.start, number.end, number.value, number.decimals, "", qualifier_of(folded, number.start, number.end)
            )
            if vocab.indicators[code].value_type == "cumulative" and decade:  # new over the decade reviewed
                period, explicit = f"{context.since}-{context.year}", False
            else:
                period, explicit = when.now(figure.start)
            add(code, figure, period, (number.start, m_end), explicit)
            # "2234种高等植物和2400余种动物": the second noun shares the first's name around it (…动物种数)
            add_sibling(_sibling(folded, nums, m_end, folded[m_start:m_end], indicator.name, vocab), period, explicit)
    # "12项主要经济指标增幅，11项全省前五、6项前三、2项第一": how many of the subject's indicators rank there
    ranked_subjects = {subject for subject, _, _ in vocab.rank_counts}
    for _, m_end, code in mentions:
        if code not in ranked_subjects:
            continue
        for m in RANK_COUNT.finditer(folded, m_end):
            target, number = (
                vocab.rank_counts.get((code, m.group("top"), integer_value(m.group("place")))),
                nums.get(m.start("n")),
            )
            if target and number:
                figure = Figure(number.start, number.end, number.value, 0, "", "exact")
                period, explicit = when.at(m.start(), False)
                add(target, figure, period, (m.start(), m.end()), explicit)
    # "两小时一次开展智能巡查": the interval of what the clause names (its practice now: the year of publication)
    for stem, code in vocab.intervals.items():
        for found in re.finditer(re.escape(stem), folded):
            for m in INTERVAL.finditer(folded, clause_start(folded, found.start()), clause_end(folded, found.end())):
                if (number := nums.get(m.start("n"))) is not None:
                    figure = Figure(number.start, m.end("unit"), number.value, number.decimals, m.group("unit"), "exact")
                    period, explicit = when.now(figure.start)
                    add(code, figure, period, (min(m.start(), found.start()), max(m.end(), found.end())), explicit)
    return out


FORECAST = ("将", "预计", "有望", "力争", "计划")  # a figure that is not yet: 将缩短至40分钟, 有望达到100万元


def _respectively(folded: str, nums: dict, vocab: Vocabulary, when: _Periods, add, taken: set[int], rank) -> list[tuple]:
    """A list with 分别 ("A、B和C分别增长x%、y%和z%"): each subject its own figure, in order, or none of them (lists.py). Returns the spans
    of the subject lists it read, whose names no other rule reads again; their figures are marked taken."""
    claimed: list[tuple[int, int]] = []
    previous: tuple[list[str], int] | None = None  # "分别为A和B，比上年分别增长M%和N%": the same subjects again
    for r in lists.RESPECTIVELY.finditer(folded):
        growth = r.group("verb") is not None
        figures = _rates(folded, nums, r.end(), r, vocab) if growth else figure_list(folded, nums, r.end(), vocab)
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
            codes = lists.resolve(written, len(figures), partial(_subject_code, vocab, growth))
        targets = [vocab.growth_stems.get(_stem_of(c, vocab)) for c in codes] if codes and growth else codes
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


def _subject_code(vocab: Vocabulary, growth: bool, name: str) -> str | None:
    """A list's subject: an indicator's name, or for a growth the stem of a growth indicator."""
    return vocab.names.get(name) or (f"stem:{name}" if growth and name in vocab.growth_stems else None)


def _structures(folded: str, nums: dict, vocab: Vocabulary, when: _Periods, add) -> list[tuple]:
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
            before = m.group("year") or (_year_before(period, same_months=False) if m.group("prev") else None)
            ratios += [("a", before)] if before else []
        for group, label in ratios:
            for code, i in zip(codes, (1, 2, 3), strict=True):
                number = nums.get(m.start(f"{group}{i}"))
                if number is not None:
                    figure = Figure(number.start, number.end, number.value, number.decimals, "%", "exact")
                    add(code, figure, label, (m.start(), m.end()), explicit)
        claimed.append((m.start(), m.end()))
    return claimed


def _rates(folded: str, nums: dict, pos: int, verb: re.Match, vocab: Vocabulary) -> list[Figure]:
    """The growth rates after 增长 (as written), 下降 (negative) or 持平 (0)."""
    if "持平" in verb.group():
        return [Figure(verb.start(), verb.end(), 0.0, 0, "%", "approximate" if verb.group("about") else "exact")]
    return [signed(f, verb.group("verb")) for f in figure_list(folded, nums, pos, vocab)]


def _rank_qualifier(top: str) -> str:
    return "upper_bound" if top == "前" else "exact"  # 前三: third or better


def _default_period(folded: str, pos: int, context: Context) -> tuple[str, bool]:
    """The year the text's figures describe (low confidence). An expected figure is for the year its clause names
    (预计2025年…将达到55%), else for the year it was expected in, the year of publication (将缩短至40分钟, low)."""
    if _status(folded, pos) == "forecast":
        said = _YEAR.findall(folded, clause_start(folded, pos), pos)
        if said:
            return said[-1], True
        if context.published:
            return str(context.published), False
    return context.period, False


def _outermost(mentions: list) -> list:
    """The longest name wins among stems and names too: 装备制造业增加值, not 装备制造业 inside it. In order."""
    out, reach = [], -1
    for mention in sorted(mentions, key=lambda m: (m[0], -m[1])):
        if mention[1] > reach:
            out.append(mention)
            reach = mention[1]
    return out


def _elided_mentions(folded: str, mentions: list, vocab: Vocabulary) -> list[tuple[int, int, str]]:
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


def _sibling(folded: str, nums: dict, pos: int, written: str, name: str, vocab: Vocabulary):
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


def _status(folded: str, pos: int) -> str:
    """forecast when its clause says the figure is expected, not reached."""
    return "forecast" if any(word in folded[clause_start(folded, pos) : pos] for word in FORECAST) else "normal"


def _skip_words(folded: str, pos: int, end: int) -> int:
    """Past the few words between a name and its 从 (城镇化率 从…, 浓度从…)."""
    found = folded.find("从", pos, min(end, pos + 4))
    return found if found >= 0 else pos


def _stem_mentions(folded: str, vocab: Vocabulary) -> list[tuple[int, int, object]]:
    """Growth and change stems (财政民生支出, 常住人口), and the pairs 城乡X / 城镇、农村X for (城镇X, 农村X)."""
    out: list[tuple[int, int, object]] = []
    for stems in (vocab.growth_stems, vocab.change_stems):
        for stem in sorted(stems, key=len, reverse=True):
            out += [(m.start(), m.end(), _stem_code(stem, vocab)) for m in re.finditer(re.escape(stem), folded)]
    urban_names = {*vocab.growth_stems, *vocab.change_stems, *vocab.names}
    for urban in sorted(n for n in urban_names if n.startswith("城镇")):
        rural = "农村" + urban[2:]
        if rural not in urban_names:
            continue
        pair = (_stem_code(urban, vocab), _stem_code(rural, vocab))
        for written in ("城乡" + urban[2:], "城镇、农村" + urban[2:], "城镇和农村" + urban[2:]):
            out += [(m.start(), m.end(), pair) for m in re.finditer(re.escape(written), folded)]
    return out


def _stem_code(stem: str, vocab: Vocabulary) -> str:
    return vocab.names.get(stem) or f"stem:{stem}"


def _stem_of(code: str, vocab: Vocabulary) -> str:
    if code.startswith("stem:"):
        return code[5:]
    indicator = vocab.indicators.get(code)
    return indicator.name if indicator else code


_YEAR_SAID = re.compile(r"从([0-9]{4})年")
_YEAR = re.compile(r"((?:19|20)[0-9]{2})年")
_SINCE = re.compile(r"([0-9]{4})年[^，,。；;]{0,8}以来")


def _year_said_before(folded: str, pos: int) -> str | None:
    """A start year said earlier in the sentence (从2013年的68…下降到24, 优良率从68.2%…: both from 2013)."""
    found = _YEAR_SAID.findall(folded, 0, pos)
    return found[-1] if found else None


def _since_said(folded: str, pos: int, context: Context) -> tuple[str, bool] | None:
    """A span said as "2019年开港以来…1100万吨": a figure accumulated from that year to the text's present."""
    m = None
    for m in _SINCE.finditer(folded, 0, pos):  # noqa: B007 (the last one before the figure)
        pass
    if m and context.published:
        return f"{m.group(1)}-{context.published}", True
    return None


# A sentence that compares with the year before settles a bulletin's figure as the year's: 比上年增长, 比上年末增加.
_YEAR_COMPARED = re.compile(r"(?:比|较|与)(?:上年|去年)(?!同期)")


class _Periods:
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


def _year_before(label: str, same_months: bool) -> str:
    """上年 of 2023 is 2022; 上年同期 of 2023Q1 is 2022Q1."""
    return str(int(label[:4]) - 1) + (label[4:] if same_months else "")


def _region_of(folded: str, pos: int, regions, vocab: Vocabulary, context: Context) -> tuple[str, bool]:
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
