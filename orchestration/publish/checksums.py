"""Checksums of what is served and of the raw zone: written with the files, verified by every refresh and by
`python -m orchestration.commands.verify` (a check a reader can run), so a damaged file is found and rewritten
instead of being served on. No Dagster, no DuckDB.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.store.files import sha256_of, write_text_atomically

CHECKSUMS_FILE = "_checksums.json"  # a leading underscore: Spark and Hive skip it when reading a folder


def write_checksums(folder: Path, names: list[str], known: dict[str, str] | None = None) -> dict[str, str]:
    """Record the sha256 of each named file of `folder` in folder/_checksums.json; `known` sums (of files not
    rewritten since) are taken as they are."""
    sums = {name: (known or {}).get(name) or sha256_of(folder / name) for name in sorted(names)}
    write_text_atomically(folder / CHECKSUMS_FILE, json.dumps(sums, indent=1, sort_keys=True))
    return sums


def read_checksums(path: Path) -> dict[str, str] | None:
    """The recorded checksums, or None when there are none (an older folder) or the record itself is damaged."""
    try:
        sums = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return sums if isinstance(sums, dict) and all(isinstance(v, str) for v in sums.values()) else None


def damaged(folder: Path, sums: dict[str, str]) -> list[str]:
    """The files of `folder` that are missing or differ from their recorded checksum."""
    return [name for name, sha in sorted(sums.items()) if not (folder / name).is_file() or sha256_of(folder / name) != sha]
