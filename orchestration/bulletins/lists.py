"""Lists of subjects with 分别 and lists of shares written as a ratio (三次产业结构6.8:42.7:50.5). Pure.

"高技术产业、战略性新兴产业、装备制造业分别增长14.6%、11.3%和7.0%": N subjects and N figures map one to one, in
order, or nothing is proposed (a figure is never given to a neighbour's subject). Subjects share what the list
writes once:
- a tail: "批发和零售业、住宿业和餐饮业、金融业增加值" (…业增加值 for each);
- a head: "第一、二、三产业增加值" (第一产业增加值, 第二产业增加值, 第三产业增加值).
A 和 inside a name (批发和零售业) is part of it: the list is split on 、 first, and on 和 / 与 / 及 only when 、 gives
too few subjects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# 分别 and its verb: 分别为 / 分别达到 (levels), 分别增长 / 比上年分别增长 / 分别比上年下降 (growths)
RESPECTIVELY = re.compile(
    r"(?P<cmp>比上年|同比|较上年)?分别(?:比上年|同比|较上年)?(?:(?P<level>为|是|达到|达)|(?P<verb>增长|下降)(?![到至]))"
)
_ORDINAL = "一二三四五六七八九十"
_JOINERS = re.compile(r"[和与及]")
# The words before a list that are not part of its first subject: 其中, 全市, 规模以上工业中…
_LEAD = re.compile(r"^(?:其中|全市|全省|全县|全区|共|合计)+")

# Structures: the parts of a whole a ratio lists, in order, and the names their shares go by in a catalogue.
STRUCTURES = {"三次产业": ("第一产业", "第二产业", "第三产业")}
SHARE_ENDINGS = ("比重", "占比", "增加值比重", "增加值占比", "增加值占生产总值比重", "增加值占GDP比重")
_RATIO = r"(?P<{0}1>[0-9]+(?:\.[0-9]+)?)\s*[:：∶]\s*(?P<{0}2>[0-9]+(?:\.[0-9]+)?)\s*[:：∶]\s*(?P<{0}3>[0-9]+(?:\.[0-9]+)?)"
STRUCTURE = re.compile(
    r"(?P<whole>三次产业)(?:结构|占比|构成|比例)(?:比例|比|之比)?(?:为|是)?"
    r"(?:(?:由|从)(?:(?P<year>[0-9]{4})年|(?P<prev>上年))?的?"
    + _RATIO.format("a")
    + r"[^0-9，,。；;]{0,10}[，,]?[^0-9。；;]{0,10}?(?:为|到|至))?"
    + _RATIO.format("b")
)


def subject_lists_parts(written: str, count: int = 0) -> list[str]:
    """The parts of a list: split on 、, and on 和 / 与 / 及 too when that gives fewer than `count` (or one)."""
    written = _LEAD.sub("", written.strip())
    parts = [p for p in written.split("、") if p]
    if len(parts) < max(count, 2):
        parts = [q for p in parts for q in _JOINERS.split(p) if q]
    return parts


def subject_lists(written: str, count: int) -> Iterator[list[str]]:
    """The ways the list `written` (the words before 分别) names `count` subjects, the likeliest first."""
    parts = subject_lists_parts(written, count)
    if len(parts) != count or count < 2:
        return
    yield parts
    last = parts[-1]
    if all(p[-1:] in _ORDINAL for p in parts[:-1]) and last[:1] in _ORDINAL and parts[0][-2:-1] == "第":
        tail = last[1:]  # 第一、二、三产业增加值
        yield ["第" + p[-1] + tail for p in parts[:-1]] + ["第" + last]
    for cut in range(len(last) - 1, 0, -1):  # …、金融业增加值: the shortest shared tail first
        tail = last[cut:]
        yield [p + tail for p in parts[:-1]] + [last]


def resolve(written: str, count: int, code_of: Callable[[str], str | None]) -> list[str] | None:
    """The codes of the `count` subjects, one for each, or None when no way of reading the list names them all. The
    first subject may carry words before it (全市规上工业增加值): its longest ending that is a name counts."""
    for subjects in subject_lists(written, count):
        first = next((code_of(subjects[0][i:]) for i in range(len(subjects[0]) - 1) if code_of(subjects[0][i:])), None)
        rest = [code_of(s) for s in subjects[1:]]
        if first and all(rest):
            return [first, *rest]  # type: ignore[list-item]
    return None
