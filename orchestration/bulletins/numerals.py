"""Numbers as bulletins write them: Arabic digits (with thousands separators), full-width digits, Chinese numerals
(十六, 两, 一千一百, 二〇二二), with 万 / 亿 after them. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，％－−", "0123456789.,%--")
# Footnote markers are never figures: 生产总值[2]为82553亿元, 人口①, ※. Blanked to spaces of the same length, so
# spans found in the folded text stay the text's.
_FOOTNOTE = re.compile(r"\[[0-9]{1,2}\]|［[0-9０-９]{1,2}］|[①-⑳※]")
_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
CHINESE = "〇零一二两三四五六七八九十百千"
# A number: Arabic (1,876 / 45.7 / 2003.4) or a run of Chinese numerals, then perhaps 万 or 亿 (and 多, 余 read as
# a lower bound by the caller). Full-width digits are folded before matching, so spans stay those of the text.
# A minus sign counts only where no digit or letter stands before it (自然增长率为-0.86‰), never in 1-9月 or 2011-2015.
NUMBER = re.compile(rf"(?P<arabic>(?:(?<![0-9A-Za-z.])-)?[0-9]+(?:,[0-9]{{3}})*(?:\.[0-9]+)?)|(?P<chinese>[{CHINESE}]+)")


def fold(text: str) -> str:
    """Full-width digits and signs as ASCII and footnote markers as spaces, one character for one: spans found in the
    result are the text's."""
    return _FOOTNOTE.sub(lambda m: " " * len(m.group()), text.translate(_FULL_WIDTH))


def chinese_value(text: str) -> int | None:
    """十六 → 16, 两 → 2, 一千一百 → 1100, 二〇二二 → 2022 (digit by digit); None if not a number."""
    if not text:
        return None
    if all(c in _DIGITS for c in text):
        if len(text) == 1:
            return _DIGITS[text]
        return int("".join(str(_DIGITS[c]) for c in text)) if text[0] not in "两" else None
    total, current = 0, None
    for char in text:
        if char in _DIGITS:
            if current is not None:  # two digits in a row inside a place-value number: not a number
                return None
            current = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if current is None else current) * _UNITS[char]
            current = None
        else:
            return None
    return total + (current or 0)


def integer_value(written: str) -> int | None:
    """Arabic or Chinese: 11 → 11, 五 → 5, 十六 → 16 (a place 前五, a count 11项)."""
    return int(written) if written.isdigit() else chinese_value(written)


@dataclass(frozen=True)
class Number:
    start: int
    end: int
    value: float
    decimals: int
    text: str  # as written (in the folded text: the same characters' positions)


def numbers(folded: str) -> list[Number]:
    """Every number in folded text, with its span."""
    out = []
    for m in NUMBER.finditer(folded):
        if m.group("arabic"):
            written = m.group("arabic")
            plain = written.replace(",", "")
            decimals = len(plain.split(".", 1)[1]) if "." in plain else 0
            out.append(Number(m.start(), m.end(), float(plain), decimals, written))
        else:
            value = chinese_value(m.group("chinese"))
            if value is not None and not (m.group("chinese") in ("一", "两") and _is_word(folded, m.start(), m.end())):
                out.append(Number(m.start(), m.end(), float(value), 0, m.group("chinese")))
    return out


# 一 and 两 are often words, not figures: 一批, 一体, 一起, 两院, 一流…; they count only before a measure word.
MEASURE_WORDS = "个家项条类种只名次张岁倍亩人元吨所座件户位届年"


TIME_UNITS = ("小时", "分钟", "天", "周")  # 两小时一次


def _is_word(text: str, start: int, end: int) -> bool:
    return end >= len(text) or (text[end] not in MEASURE_WORDS + "大十百千万亿" and not text.startswith(TIME_UNITS, end))
