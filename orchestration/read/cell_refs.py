"""Spreadsheet cell references as a person writes them: columns by letter (A, Z, AA), cells as D5."""

from __future__ import annotations

import re

_CELL = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")


def column_index(letters: str) -> int:
    """A → 1, Z → 26, AA → 27."""
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index


def column_letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def split_cell(ref: str) -> tuple[int, int]:
    """'D5' → (row 5, column 4)."""
    m = _CELL.fullmatch(ref)
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), column_index(m.group(1))
