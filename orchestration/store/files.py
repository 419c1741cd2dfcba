"""Files as the warehouse keeps them: written so that no reader (a refresh, a BI tool, a spreadsheet) ever sees half of
one, and known by the SHA-256 of their bytes (what a load, a checksum and a confirmation name)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_text_atomically(path: Path, text: str) -> None:
    """Written beside under a hidden name (never listed as a raw file or a report), then moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.writing")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
