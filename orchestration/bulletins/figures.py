"""A figure as a bulletin writes it: a number with its multiplier (万, 亿), its unit and its qualifier (约, 超过,
不到…), found at a position of a folded sentence. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestration.bulletins.numerals import CHINESE
from orchestration.bulletins.vocabulary import CLASSIFIERS, Vocabulary

CLAUSE_END = "，,。；;：:"
ROMAN = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "Ⅵ": 6}
APPROXIMATE_BEFORE, APPROXIMATE_AFTER = ("约", "大约", "近"), ("左右",)
LOWER_BEFORE, LOWER_AFTER = ("超过", "突破", "逾", "超"), ("以上", "余", "多")
UPPER_BEFORE, UPPER_AFTER = ("不到", "不足"), ("以内", "以下")


@dataclass(frozen=True)
class Figure:
    """A number with its multiplier and unit as written: start/end in the sentence."""

    start: int
    end: int
    value: float
    decimals: int
    unit: str  # as written (万人, %, 微克/立方米), or ''
    qualifier: str

    def text(self) -> str:
        return f"{self.value:.{self.decimals}f}"


def figure_at(folded: str, nums: dict[int, object], pos: int, vocab: Vocabulary) -> Figure | None:
    """The figure starting at pos (after spaces), with 万/亿 and a unit."""
    while pos < len(folded) and folded[pos].isspace():  # line breaks of a digitised page, full-width spaces
        pos += 1
    if pos < len(folded) and folded[pos] in ROMAN:
        unit = "类" if folded[pos + 1 : pos + 2] == "类" else ""
        return Figure(pos, pos + 1 + len(unit), float(ROMAN[folded[pos]]), 0, unit, qualifier_of(folded, pos, pos + 1))
    number = nums.get(pos)
    if number is None:
        return None
    end, value, decimals, multiplier = number.end, number.value, number.decimals, ""
    if folded[end : end + 1] in ("万", "亿") and not folded[end : end + 2].startswith(("万元", "亿元")):
        multiplier = folded[end]
        end += 1
    unit = next((u for u in vocab.units if folded.startswith(u, end)), "")
    if not unit and end < len(folded) and folded[end] in CLASSIFIERS:  # (an empty slice is in every string)
        unit = folded[end]
    if multiplier:
        unit = multiplier + unit if unit and multiplier + unit in vocab.units else multiplier + (unit or "")
    end += len(unit) - len(multiplier) if unit else 0
    return Figure(number.start, end, value, decimals, unit, qualifier_of(folded, number.start, end))


def qualifier_of(folded: str, start: int, end: int) -> str:
    before, after = folded[max(0, start - 3) : start], folded[end : end + 3]
    if before.endswith(APPROXIMATE_BEFORE) or after.startswith(APPROXIMATE_AFTER):
        return "approximate"
    if before.endswith(LOWER_BEFORE) or after.startswith(LOWER_AFTER):
        return "lower_bound"
    if before.endswith(UPPER_BEFORE) or after.startswith(UPPER_AFTER):
        return "upper_bound"
    return "exact"


def clause_end(folded: str, pos: int) -> int:
    return next((i for i in range(pos, len(folded)) if folded[i] in CLAUSE_END), len(folded))


def clause_start(folded: str, pos: int) -> int:
    return max((folded.rfind(c, 0, pos) for c in CLAUSE_END), default=-1) + 1


def signed(figure: Figure, verb: str) -> Figure:
    """A change written with 减少 (decrease) is negative: 减少0.2万人 is -0.2 万人."""
    if "减" in verb or "下降" in verb:
        return Figure(figure.start, figure.end, -figure.value, figure.decimals, figure.unit, figure.qualifier)
    return figure


def after_words(folded: str, end: int) -> int:
    for words in (*APPROXIMATE_AFTER, *LOWER_AFTER, *UPPER_AFTER):
        if folded.startswith(words, end):
            return len(words)
    return 0


def figure_list(folded: str, nums: dict, pos: int, vocab: Vocabulary) -> list[Figure]:
    """A, B and C after 分别 / 增长: figures joined by 、 和 与 及."""
    out = []
    while True:
        figure = figure_at(folded, nums, pos, vocab)
        if figure is None:
            return out
        out.append(figure)
        pos = figure.end
        if folded[pos : pos + 1] in ("、", "和", "与", "及"):
            pos += 1
        else:
            return out


def figure_ending_at(folded: str, nums: dict, pos: int, vocab: Vocabulary) -> Figure | None:
    for number in nums.values():
        if number.end < pos <= number.end + 6:
            figure = figure_at(folded, nums, number.start, vocab)
            if figure and figure.end == pos:
                return figure
    return None


def number_before(folded: str, nums: dict, pos: int):
    """A number, a classifier and at most a few words before a name: 46类智能算法, 六大…, 2234种高等植物."""
    for gap in range(7):
        start_of_words = pos - gap
        for number in nums.values():
            if number.end <= start_of_words and number.end >= start_of_words - 2:
                between = folded[number.end : pos]
                if re.fullmatch(rf"(?:多|余)?[{CLASSIFIERS}]?(?:大|多|余)?[^，,。；;0-9{CHINESE}]{{0,5}}", between) and (
                    between[:1] in CLASSIFIERS + '大多余“"' or between == ""
                ):
                    return number
    return None
