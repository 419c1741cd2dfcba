"""Writing a file so that no reader (a refresh, a BI tool, a spreadsheet) ever sees half of it."""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    """Written beside under a hidden name (never listed as a raw file or a report), then moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.writing")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
