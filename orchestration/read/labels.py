"""Row labels and headers as a table prints them, read the way the catalogue names things: footnote marks (①),
indentation, "#" and "其中：" (of which) and padding spaces (合  计) taken away."""

from __future__ import annotations

import re

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"  # footnote marks
_MARKS = re.compile(f"[{CIRCLED}]")
_OF_WHICH = re.compile(r"^(?:#\s*)?(?:其中[:：]?\s*)?#?")


def footnote_marks(text: str) -> tuple[str, list[str]]:
    """(the text without its footnote marks, the marks in order)."""
    return _MARKS.sub("", text).strip(), _MARKS.findall(text)


def normalise_label(text: str) -> str:
    """A row label as the catalogue names it: indentation, "#" and "其中：" (of which) and footnote marks removed,
    inner spaces (a yearbook pads 合  计) dropped."""
    label = footnote_marks(text)[0]
    label = _OF_WHICH.sub("", label.replace("\u3000", " ").strip())
    return re.sub(r"\s+", "", label)


def catalogue_names(code: str, name: str | None, aliases: str | None) -> list[tuple[str, str, str]]:
    """(column, name as written, name as a row label is read) of every name a catalogue row gives its code: the code
    itself, name_zh and each alias (|-separated). Layouts read labels through them, and the catalogue checks that each
    names one code: both read them here, the same way."""
    written = [("code", code), ("name_zh", name), *(("aliases", alias) for alias in (aliases or "").split("|"))]
    return [(column, str(text), key) for column, text in written if (key := normalise_label(str(text or "")))]


def normalise_header(text: str) -> str:
    return re.sub(r"\s+", " ", footnote_marks(text.replace("\u3000", " "))[0]).strip()
