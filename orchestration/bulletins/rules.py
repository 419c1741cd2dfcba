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

from orchestration.bulletins.clauses import (
    Periods,
    compatible,
    default_period,
    elided_mentions,
    is_counted,
    outermost,
    rank_qualifier,
    rates_after,
    region_of,
    respectively,
    sibling_of,
    since_said,
    skip_words,
    status_at,
    stem_mentions,
    stem_of,
    structures,
    year_before,
    year_said_before,
)
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
from orchestration.bulletins.text import Candidate, Context, sentences
from orchestration.bulletins.vocabulary import Vocabulary

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
    return _Sentence(text, s_start, s_end, vocab, context).read()


class _Sentence:
    """One sentence read by every rule in turn; each figure goes to one candidate (`taken`), except a figure said of
    several subjects at once, which goes to each of them once."""

    def __init__(self, text: str, s_start: int, s_end: int, vocab: Vocabulary, context: Context):
        self.vocab, self.context, self.s_start = vocab, context, s_start
        self.decade = context.since is not None and context.since < context.year
        self.sentence = text[s_start:s_end]
        self.folded = fold(self.sentence)
        self.nums = {n.start: n for n in numbers(self.folded)}
        self.when = Periods(self.folded, context)
        self.out: list[Candidate] = []
        self.taken: set[int] = set()  # number starts already used by a candidate
        self.shared_taken: set[tuple[int, str]] = set()  # a figure said of several subjects: once for each

    def read(self) -> list[Candidate]:
        folded = self.folded
        if not self.nums and not any(c in folded for c in ROMAN) and "持平" not in folded:
            return self.out
        mentions = self._mentions()
        for i, (m_start, m_end, code) in enumerate(mentions):
            next_start = next((s for s, _, _ in mentions[i + 1 :] if s >= m_end), len(folded))
            self._mention(m_start, m_end, code, next_start)
        self._counts_before_nouns(mentions)
        self._rank_counts(mentions)
        self._intervals()
        return self.out

    def add(self, code: str, figure: Figure, period: str, span: tuple[int, int], high: bool, shared: bool = False) -> None:
        """shared: one figure said of several subjects (城乡居民收入增幅均居全省前三)."""
        vocab, sentence = self.vocab, self.sentence
        if (
            (figure.start in self.taken and not shared)
            or (figure.start, code) in self.shared_taken
            or code not in vocab.indicators
        ):
            return
        if figure.unit == "美元" and code in vocab.in_dollars:  # 人均生产总值约合20533美元: its dollar indicator
            code = vocab.in_dollars[code]
        indicator = vocab.indicators[code]
        if not compatible(figure.value, figure.unit, code, vocab):
            return
        self.taken.add(figure.start)
        self.shared_taken.add((figure.start, code))
        unit = indicator.unit if is_counted(indicator) or not figure.unit else figure.unit
        if unit in ("万", "亿") and indicator.unit.startswith(unit):  # 增加15.5万 (人): the indicator's 万人
            unit = indicator.unit
        # 全市生产总值 too
        region, region_read = region_of(self.folded, max(span[0], figure.start), vocab.region_pattern, vocab, self.context)
        start, end = span
        if sentence[end : end + 1] and sentence[end] in "”」』":  # the quotation a name is written in: 十个“桥头堡”
            end += 1
        self.out.append(
            Candidate(
                region_code=region,
                indicator_code=code,
                period=period,
                value=figure.text(),
                unit=unit,
                value_type=indicator.value_type,
                obs_status=status_at(self.folded, figure.start),
                qualifier=figure.qualifier,
                as_published=sentence[start:end],
                source_id=self.context.source,
                note=sentence.strip(),
                sentence=sentence.strip(),
                span_start=self.s_start + start,
                span_end=self.s_start + end,
                confidence="high" if high and region_read else "low",
            )
        )

    def add_sibling(self, sibling, period: str, explicit: bool) -> None:
        if sibling:
            code, number, start, end = sibling
            qualifier = qualifier_of(self.folded, number.start, number.end)
            figure = Figure(number.start, number.end, number.value, number.decimals, "", qualifier)
            self.add(code, figure, period, (start, end), explicit)

    def growth_rank(self, codes: list[str], pos: int, period: str, high: bool, m_start: int) -> None:
        """The place of the growth just given, for each subject: "增长11.9%，高于全省5.6个百分点，居全省第4位"."""
        ranks = [self.vocab.growth_ranks.get(stem_of(c, self.vocab)) for c in codes]
        if all(ranks) and (r := GROWTH_RANK.match(self.folded, pos)) and (place := integer_value(r.group("n"))):
            figure = Figure(r.start("n"), r.end("n"), float(place), 0, "", rank_qualifier(r.group("top")))
            for rank_code in ranks:
                self.add(rank_code, figure, period, (m_start, r.end()), high, shared=True)

    def _mentions(self) -> list:
        """The names the sentence mentions, outermost first; 分别 lists and ratios are read first: their figures are
        theirs alone, mapped one to one or not at all, and their names are not read again."""
        folded, nums, vocab, when = self.folded, self.nums, self.vocab, self.when
        claimed = respectively(folded, nums, vocab, when, self.add, self.taken, self.growth_rank)
        claimed += structures(folded, nums, vocab, when, self.add)
        mentions = [(m.start(), m.end(), vocab.code_of(m.group())) for m in vocab.name_pattern.finditer(folded)]
        mentions += stem_mentions(folded, vocab)  # stems of growth and change indicators, and 城乡 pairs
        mentions += elided_mentions(folded, mentions, vocab)
        return [m for m in outermost(mentions) if not any(start <= m[0] < end for start, end in claimed)]

    def _mention(self, m_start: int, m_end: int, code, next_start: int) -> None:
        """The figures said of one mention: the first rule that reads its clause takes it."""
        folded, vocab = self.folded, self.vocab
        codes = [code] if not isinstance(code, tuple) else list(code)
        segment_end = min(clause_end(folded, m_end), next_start) if not isinstance(code, tuple) else clause_end(folded, m_end)
        if self._from_to(m_start, m_end, code, segment_end):
            return
        # growth (年均增长, 比上年增长): the growth indicator of the subject, never its level
        g = GROWTH.search(folded, m_end, segment_end) or FLAT.search(folded, m_end, segment_end)
        if g and not any(m_end <= p < g.start() for p in self.nums):  # not "X 10.4万吨、增长1.5%": a level first
            self._growth(m_start, codes, g)
            return
        if c := CHANGE.search(folded, m_end, segment_end):
            self._change(m_start, codes, c)
            return
        if isinstance(code, tuple):  # 城乡居民人均可支配收入分别为A和B
            self._pair(m_start, m_end, codes)
            return
        if code not in vocab.indicators:
            return
        if vocab.indicators[code].value_type == "rank":  # 全省第一, 全国前三: a place, not a figure of the thing
            self._rank(m_start, m_end, code)
            return
        if not self._level_in_next_clause(m_start, m_end, code, segment_end):
            self._level(m_start, m_end, code, segment_end, next_start)

    def _from_to(self, m_start: int, m_end: int, code, segment_end: int) -> bool:
        """从A到B: A at the year said (or the start of the span reviewed), B at the text's period."""
        folded, nums, vocab, context = self.folded, self.nums, self.vocab, self.context
        m = FROM_TO.match(folded, skip_words(folded, m_end, segment_end))
        if not m or m.end() >= len(folded):
            return False
        a = figure_at(folded, nums, m.end(), vocab)
        to = TO.match(folded, a.end) if a else None
        b = figure_at(folded, nums, to.end(), vocab) if to else None
        if not b or isinstance(code, tuple):
            return False
        b_period = self.when.said(m_start)
        b_period = b_period[0] if b_period else context.period
        said = m.group("year") or year_said_before(folded, m.start())
        if m.group("prev"):  # 由上年的A提高到B; 由上年同期的A: the same months a year before
            said = year_before(b_period, same_months=bool(m.group("same")))
        start_year = said or (str(context.since) if context.since else None)
        if start_year:
            self.add(code, a, start_year, (m_start, b.end), said is not None or self.decade)
        self.add(code, b, b_period, (m_start, b.end), True)
        return True

    def _growth(self, m_start: int, codes: list[str], g: re.Match) -> None:
        context = self.context
        figures = rates_after(self.folded, self.nums, g.end(), g, self.vocab)
        targets = [self.vocab.growth_stems.get(stem_of(c, self.vocab)) for c in codes]
        if not (figures and all(targets) and len(figures) == len(targets)):  # A和B分别增长M%: one for one, or none
            return
        # 年均增长: over the span the text reviews (none given: nothing to propose)
        if g.groupdict().get("avg"):  # FLAT has no 年均
            if not context.since:
                return
            period, high = f"{context.since}-{context.year}", self.decade
        else:  # 比上年增长: the year's growth
            period, high = self.when.at(figures[0].start, self.when.yearly)
        for target, figure in zip(targets, figures, strict=False):
            self.add(target, figure, period, (m_start, figures[-1].end), high)
        self.growth_rank(codes, figures[-1].end, period, high, m_start)

    def _change(self, m_start: int, codes: list[str], c: re.Match) -> None:
        context = self.context
        figures = [signed(f, c.group()) for f in figure_list(self.folded, self.nums, c.end(), self.vocab)]
        targets = [self.vocab.change_stems.get(stem_of(c_, self.vocab)) for c_ in codes]
        if figures and all(targets):
            period = f"{context.since}-{context.year}" if context.since else context.period
            for target, figure in zip(targets, figures, strict=False):
                self.add(target, figure, period, (m_start, figures[-1].end), self.decade)

    def _pair(self, m_start: int, m_end: int, codes: list[str]) -> None:
        if (both := RESPECTIVELY.match(self.folded, m_end)) and all(c in self.vocab.indicators for c in codes):
            figures = figure_list(self.folded, self.nums, both.end(), self.vocab)
            if len(figures) == len(codes):
                period, explicit = self.when.at(figures[0].start, self.when.yearly)
                for target, figure in zip(codes, figures, strict=True):
                    self.add(target, figure, period, (m_start, figures[-1].end), explicit)

    def _rank(self, m_start: int, m_end: int, code: str) -> None:
        rank = RANK.match(self.folded, m_end)
        if rank and (place := integer_value(rank.group("n"))):
            figure = Figure(rank.start("n"), rank.end("n"), float(place), 0, "", rank_qualifier(rank.group("top")))
            period, explicit = self.when.at(rank.start(), False)
            self.add(code, figure, period, (m_start, rank.end()), explicit)

    def _level_in_next_clause(self, m_start: int, m_end: int, code: str, segment_end: int) -> bool:
        """ "人均可支配收入首次突破(四)万元，达10366元": a clause without a figure (or with a bound it passed), then the
        figure in the next one."""
        folded, nums, vocab = self.folded, self.nums, self.vocab
        if not (
            segment_end < len(folded)
            and folded[segment_end] in "，,"
            and all(qualifier_of(folded, p, nums[p].end) == "lower_bound" for p in nums if m_end <= p < segment_end)
            and (n := NEXT_CLAUSE_LEVEL.match(folded, segment_end + 1))
            and (figure := figure_at(folded, nums, n.end(), vocab))
            and figure.unit
            and vocab.indicators[code].value_type == "level"
        ):
            return False
        period, explicit = self.when.said(figure.start) or default_period(folded, figure.start, self.context)
        self.add(code, figure, period, (m_start, figure.end), explicit)
        return True

    def _level(self, m_start: int, m_end: int, code: str, segment_end: int, next_start: int) -> None:
        """A level: the first figure after the name in its clause (not a change: 提高1.1个百分点, 增加57家)."""
        folded, nums, vocab, context = self.folded, self.nums, self.vocab, self.context
        for pos in range(m_end, segment_end):
            if pos not in nums and folded[pos] not in ROMAN:
                continue
            before = folded[m_end:pos]
            figure = figure_at(folded, nums, pos, vocab)
            if figure is None or folded[figure.end : figure.end + 3].startswith("个百分点"):
                return
            if len(before.strip()) > LEVEL_GAP or "、" in before:  # a figure that far is another phrase's
                return
            counted = vocab.indicators[code].value_type == "count"
            if counted and before.strip() and not COUNT_VERB.search(before):  # 高等植物和2400余种动物: another noun's
                return
            if any(verb in before for verb in CHANGE_VERBS) and not before.endswith(("到", "至")):
                return  # 提高1.1个百分点, 增加57家: a change; 缩小至1.76, 提高到2%: the level reached
            period, explicit = since_said(folded, pos, context) or self.when.said(pos) or default_period(folded, pos, context)
            self.add(code, figure, period, (m_start, figure.end + after_words(folded, figure.end)), explicit)
            if counted:  # 高等植物2350种、动物2500余种
                name = vocab.indicators[code].name
                self.add_sibling(sibling_of(folded, nums, figure.end, folded[m_start:m_end], name, vocab), period, explicit)
            self._after_level(m_start, code, figure, period, explicit, min(next_start, len(folded)))
            return

    def _after_level(self, m_start: int, code: str, figure: Figure, period: str, explicit: bool, rest_end: int) -> None:
        """What the rest of the clause says of the same subject: its change over the year, the level in dollars, its
        growth and the place of that growth."""
        folded, nums, vocab = self.folded, self.nums, self.vocab
        after = figure.end + after_words(folded, figure.end)
        # "年末常住人口229.7万人，比上年末增加0.7万人": the change of the same subject over the year
        change_code = vocab.change_stems.get(stem_of(code, vocab))
        c = YOY_CHANGE.search(folded, figure.end, rest_end)
        changes = figure_list(folded, nums, c.end(), vocab) if c else []
        if c and changes and changes[0].unit != "%":
            if change_code:
                self.add(change_code, signed(changes[0], c.group()), period, (c.start(), changes[0].end), explicit)
            if c.start() - after <= 2:  # "户籍人口218.7万人，比上年增加8630人，增长0.4%": the growth after it
                after = changes[0].end
        # "人均生产总值19763元，按2018年平均汇率计算为2865美元": the same figure in dollars
        d = CONVERTED.search(folded, after, rest_end) if code in vocab.in_dollars else None
        if d and (dollars := figure_at(folded, nums, d.end(), vocab)) and dollars.unit == "美元":
            self.add(code, dollars, period, (d.start(), dollars.end), explicit)
        # "X N单位，按可比价格计算，比上年增长M%", "X N单位，增长M%": the growth of the same subject
        growth_code = vocab.growth_stems.get(stem_of(code, vocab))
        if growth_code and (
            g := GROWTH_NEXT.match(folded, after) or FLAT.match(folded, after + 1) or YOY.search(folded, after, rest_end)
        ):
            rates = rates_after(folded, nums, g.end(), g, vocab)
            if rates and rates[0].unit == "%":
                self.add(growth_code, rates[0], period, (m_start, rates[0].end), explicit)
                self.growth_rank([code], rates[0].end, period, explicit, m_start)

    def _counts_before_nouns(self, mentions: list) -> None:
        """A count written before its noun: 46类智能算法, 六大标志性产业链, 2234种高等植物."""
        folded, nums, vocab, context = self.folded, self.nums, self.vocab, self.context
        for m_start, m_end, code in mentions:
            if isinstance(code, tuple) or code not in vocab.indicators:
                continue
            indicator = vocab.indicators[code]
            if indicator.value_type == "level" and (figure := figure_ending_at(folded, nums, m_start, vocab)):
                if figure.unit == indicator.unit:  # 千亩丝瓜络基地: a quantity written before its noun
                    period, explicit = self.when.now(figure.start)
                    self.add(code, figure, period, (figure.start, m_end), explicit)
                continue
            if indicator.value_type not in ("count", "cumulative"):
                continue
            number = number_before(folded, nums, m_start)
            if number is None:
                continue
            qualifier = qualifier_of(folded, number.start, number.end)
            figure = Figure(number.start, number.end, number.value, number.decimals, "", qualifier)
            if indicator.value_type == "cumulative" and self.decade:  # new over the decade reviewed
                period, explicit = f"{context.since}-{context.year}", False
            else:
                period, explicit = self.when.now(figure.start)
            self.add(code, figure, period, (number.start, m_end), explicit)
            # "2234种高等植物和2400余种动物": the second noun shares the first's name around it (…动物种数)
            self.add_sibling(sibling_of(folded, nums, m_end, folded[m_start:m_end], indicator.name, vocab), period, explicit)

    def _rank_counts(self, mentions: list) -> None:
        """ "12项主要经济指标增幅，11项全省前五、6项前三、2项第一": how many of the subject's indicators rank there."""
        ranked_subjects = {subject for subject, _, _ in self.vocab.rank_counts}
        for _, m_end, code in mentions:
            if code not in ranked_subjects:
                continue
            for m in RANK_COUNT.finditer(self.folded, m_end):
                target = self.vocab.rank_counts.get((code, m.group("top"), integer_value(m.group("place"))))
                number = self.nums.get(m.start("n"))
                if target and number:
                    figure = Figure(number.start, number.end, number.value, 0, "", "exact")
                    period, explicit = self.when.at(m.start(), False)
                    self.add(target, figure, period, (m.start(), m.end()), explicit)

    def _intervals(self) -> None:
        """ "两小时一次开展智能巡查": the interval of what the clause names (its practice now: the year of publication)."""
        folded = self.folded
        for stem, code in self.vocab.intervals.items():
            for found in re.finditer(re.escape(stem), folded):
                for m in INTERVAL.finditer(folded, clause_start(folded, found.start()), clause_end(folded, found.end())):
                    if (number := self.nums.get(m.start("n"))) is not None:
                        figure = Figure(number.start, m.end("unit"), number.value, number.decimals, m.group("unit"), "exact")
                        period, explicit = self.when.now(figure.start)
                        span = (min(m.start(), found.start()), max(m.end(), found.end()))
                        self.add(code, figure, period, span, explicit)
