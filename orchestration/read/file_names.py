"""Which file names are read: names end up in paths, URLs, reports and shell commands, and two names a person
cannot tell apart must never be two files."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from orchestration.domain.families import FILE_TYPES


def check_file_name(name: str) -> tuple[str, str] | None:
    """(rule, message) when a file name is refused. Names end up in paths, URLs, reports and shell commands: letters
    of any script (分省年度数据.xls), digits, marks, `-`, `_`, `.`, single inner spaces and brackets are taken; path
    separators, control and invisible format characters (bidi overrides, zero-width), shell and glob characters, a
    leading dot or dash and `..` are not."""
    if refused := _dangerous_name(name):
        return "file_name", f"{refused}: rename the file"
    if Path(name).suffix.lower() not in FILE_TYPES:
        return "file_type", f"only {', '.join(FILE_TYPES)} files are read here"
    return None


_NAME_PUNCTUATION = set("-_. ()（）【】·")


def _dangerous_name(name: str) -> str | None:
    if name.startswith((".", "-")) or ".." in name:
        return "a file name may not start with '.' or '-' nor contain '..'"
    if name != name.strip() or "  " in name:
        return "a file name may not start or end with a space nor hold two in a row"
    for char in name:
        if char in _NAME_PUNCTUATION or unicodedata.category(char)[0] in "LNM":
            continue
        return f"the file name holds {char!r} (U+{ord(char):04X}), which names of files read here may not"
    return None


def name_key(name: str) -> str:
    """Two names with the same key are the same name to a person (NFKC: full-width and composed forms; case): both
    files are refused rather than one silently chosen."""
    return unicodedata.normalize("NFKC", name).casefold()
