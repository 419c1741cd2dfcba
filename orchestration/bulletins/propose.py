"""Catalogue proposals (`python -m orchestration.commands.extract_propose TEXT --out …`).

Propose catalogue rows for the indicators a bulletin or a release names that raw/catalogue/indicators.csv lacks, so
a steward does not type a bulletin's hundred indicators by hand. Each figure with a unit in the text is read back to
the words before it ("一季度，全市社会消费品零售总额375亿元" → 社会消费品零售总额, 亿元, level); a growth after it
("增长5.1%") proposes the growth sibling (社会消费品零售总额增长率, %, avg_annual_growth) and a place after the growth
("居全省第4位") the rank sibling (…增速全省位次). Names the catalogue knows (names, aliases, stems) are left out.

The file has the columns of the catalogue's indicators.csv, in its order, with indicator_code, name_en, direction and the ranges blank for the
steward to fill, then `mentions` and `example` (a sentence that names it). Nothing is added to the catalogue: the
steward reviews the rows, fills the blanks and copies them into indicators.csv. --out writes only a proposal file of
its own (it refuses to overwrite anything else). Pure reading; exit 2 on a text that is not UTF-8.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from orchestration.bulletins import lists
from orchestration.bulletins.figures import clause_start, figure_at
from orchestration.bulletins.numerals import fold, numbers
from orchestration.bulletins.periods import PHRASE
from orchestration.bulletins.text import sentences
from orchestration.bulletins.vocabulary import CLASSIFIERS, Vocabulary
from orchestration.domain.families import INDICATORS
from orchestration.domain.spreadsheet_cells import as_text_cell

_OWN_COLUMNS = ["mentions", "example"]  # after the catalogue's own, which the steward copies
_GROWTH = re.compile(r"(?:按(?:可比|不变)价格?计算)?(?:比上年|同比|较上年)?(?:分别)?(?:增长|下降)$")
_LEAD = re.compile(r"^(?:其中|初步核算|据初步测算|初步测算|根据[^，,]*结果|全年|年末|全市|全省|全县|全区|市区|实现|完成|累计)+")
_TRAIL = re.compile(r"(?:为|达到|达|是|共|有|实现|完成|总量|约合|约|合|折算为|超过|突破)+$")
_NAME = re.compile(r"[\u4e00-\u9fffA-Za-z&()（）]{2,24}")
_RANK_AFTER = re.compile(r"[，,][^，,。；;]{0,12}?(?:居|位居|排位|列)(?:全省|全国)(?:第|前)")
_PLACE = re.compile(r"(?:全省|全国|全市)(?:第|前)$")
_NOT_A_UNIT = ("个百分点", "个千分点", "年", "月", "日", "季度")


@dataclass
class Proposal:
    name: str
    unit: str
    value_type: str
    example: str
    mentions: int = 1

    def row(self) -> dict[str, object]:
        """The columns it fills; the catalogue's others stay blank for the steward."""
        row = {"name_zh": self.name, "unit": self.unit, "value_type": self.value_type}
        return {**row, "mentions": self.mentions, "example": self.example}


def _known(name: str, vocab: Vocabulary) -> bool:
    return name in vocab.names or name in vocab.growth_stems


def _name_before(folded: str, start: int, end: int, vocab: Vocabulary) -> str:
    """The words before a figure, without the period, the place and the verb: the indicator's name as written."""
    words = folded[start:end].strip()
    while m := PHRASE.match(words):  # 一季度, 2023年, 上半年
        if m.end() == 0:
            break
        words = words[m.end() :].lstrip("，, 的")
    for _ in range(3):  # 全市, 衢州, 其中 in any order
        words = _LEAD.sub("", words)
        region = vocab.region_pattern.match(words) if vocab.regions else None
        if region:
            words = words[region.end() :]
    return _TRAIL.sub("", words)


def propose(text: str, vocab: Vocabulary) -> list[Proposal]:
    found: dict[str, Proposal] = {}

    def note(name: str, unit: str, value_type: str, sentence: str) -> None:
        if not _NAME.fullmatch(name) or _known(name, vocab):
            return
        if name in found:
            found[name].mentions += 1
        else:
            found[name] = Proposal(name, unit, value_type, sentence)

    for s_start, s_end in sentences(text):
        sentence = text[s_start:s_end]
        folded = fold(sentence)
        nums = {n.start: n for n in numbers(folded)}
        subject = ""  # the last level named in the sentence: the subject of a growth that names none
        for start in sorted(nums):
            figure = figure_at(folded, nums, start, vocab)
            if figure is None or not figure.unit or folded.startswith(_NOT_A_UNIT, start + len(nums[start].text)):
                continue
            clause = clause_start(folded, start)
            growth = _GROWTH.search(folded[clause:start])
            if growth and figure.unit == "%":
                name = _name_before(folded, clause, clause + growth.start(), vocab)
                if "分别" in growth.group() and any(clause <= p < start for p in nums):
                    continue  # the second figure of "A、B分别增长x%、y%": proposed with the first
                stems = lists.subject_lists_parts(name) if "分别" in growth.group() else [name]
                for stem in stems if all(_NAME.fullmatch(n) for n in stems) else [subject]:
                    if stem:
                        note(stem + "增长率", "%", "avg_annual_growth", sentence.strip())
                        if _RANK_AFTER.match(folded, figure.end):
                            note(stem + "增速全省位次", "名", "rank", sentence.strip())
                continue
            name = _name_before(folded, clause, start, vocab)
            if name and not _PLACE.search(name):  # 居全省第4位: a place, no indicator's name
                subject = name
                value_type = "count" if figure.unit in CLASSIFIERS or figure.unit == "人" else "level"
                note(name, figure.unit, value_type, sentence.strip())
    return list(found.values())


def catalogue_columns(raw: Path) -> list[str]:
    """The columns of the catalogue the rows will be copied into, in its order: its header, or the family's."""
    try:
        with (raw / "catalogue" / "indicators.csv").open(encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        header = []
    return header if {"name_zh", "unit", "value_type"} <= set(header) else INDICATORS.column_names


def proposal_csv(columns: list[str], rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*columns, *_OWN_COLUMNS], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: as_text_cell(v) for k, v in row.items()} for row in rows)  # opened in a spreadsheet
    return out.getvalue()


def is_proposal_file(path: Path) -> bool:
    """--out may replace only a proposal file: its header is a catalogue's, then this command's own columns."""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
            return header[:1] == ["indicator_code"] and header[-len(_OWN_COLUMNS) :] == _OWN_COLUMNS
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
