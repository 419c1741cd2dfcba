"""Cells a spreadsheet would run as a formula, and how files a steward is told to open keep them as text.

Pure: one pattern, and the apostrophe that spreadsheets read as "this cell is text".
"""

from __future__ import annotations

import re

# OWASP CSV injection: a cell that starts with = + - @ tab or carriage return (or their full-width forms) is run
# as a formula by spreadsheet programs, so it is refused in every text column, unless it is a plain signed
# number as printed ("-3.2", "+4.8%") or only signs: "-" and "--" are the yearbooks' nil marker (parsing.MISSING_MARKERS),
# and a spreadsheet shows a cell of signs alone as text. "-2+3+cmd|' /C calc'!A0" and "+1+cmd|..." are refused.
# Written without a look-ahead so that pandas runs it on Arrow text with RE2, not Python's re cell by cell (3.5 s
# per million rows): a sign followed by a character that is neither a digit nor a sign, by signs then anything
# else, or by digits then anything but an optional % and an optional final newline.
# tests/test_validation_scale.py holds it equal to the look-ahead form:
#   ^(?![+\-－＋]?[0-9０-９.,．，]+[%％‰]?$)(?![+\-＋－]+$)[=+\-@\t\r＝＋－＠]
_DIGITS, _PERCENT, _SIGNS = "0-9０-９.,．，", "%％‰", "+\\-＋－"
FORMULA_LIKE = (
    rf"^(?:[=@\t\r＝＠]|[{_SIGNS}](?:[^{_DIGITS}{_SIGNS}\n]|[{_SIGNS}]*\n(?:.|\n)|[{_SIGNS}]+[^{_SIGNS}\n]|[{_DIGITS}]+"
    rf"(?:[^{_DIGITS}{_PERCENT}\n]|[{_PERCENT}](?:[^\n]|\n(?:.|\n))|\n(?:.|\n))))"
)
_FORMULA = re.compile(FORMULA_LIKE)


def as_text_cell(value: object) -> object:
    """A text cell a spreadsheet would run (=HYPERLINK(…), +cmd|…, @SUM) with a leading apostrophe, shown as text;
    every other value as it is (-3.2 and - stay numbers and the nil marker)."""
    return f"'{value}" if isinstance(value, str) and _FORMULA.search(value) else value


def from_text_cell(value: str) -> str:
    """What as_text_cell wrote, read back: the apostrophe it added removed (a spreadsheet saving the file keeps it)."""
    return value[1:] if value.startswith("'") and _FORMULA.search(value[1:]) else value
