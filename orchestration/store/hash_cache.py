"""The content hash of a raw file, taken again only when the file may have changed (as git's index does).

A refresh with nothing new, and the sensor every 30 s, would otherwise read and hash every raw file: 1.6 GB for a
national warehouse of 10^7 figures. A file's hash is trusted again while its size, modification time, change time,
inode and device are those recorded beside it. A publisher can set a modification time back (`touch -d`), never the
change time: any write, rename into place or `touch` moves the change time to now, and a file copied over another
gets a new inode or a new change time. A hash is recorded only for a file whose change time is older than
RACY_SECONDS when the hashing began, so that a write in the same clock tick as the hashing cannot hide behind an
unchanged stat.

The cache is a JSON file in the data folder; losing it, or finding it damaged, costs one hashing of every file.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from orchestration.store.files import sha256_of

CACHE_FILE = "raw_hashes.json"
RACY_SECONDS = 2.0


def _signature(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


class HashCache:
    """sha256 of files by path, recorded with their stat; `save` adds the entries taken or confirmed in this pass."""

    def __init__(self, data_dir: Path | None):
        self.path = data_dir / CACHE_FILE if data_dir is not None else None
        self._known = self._load()
        self._seen: dict[str, list] = {}

    def _load(self) -> dict[str, list]:
        if self.path is None:
            return {}
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or damaged: every file is hashed again
            return {}
        if not isinstance(entries, dict):
            return {}
        return {k: v for k, v in entries.items() if isinstance(v, list) and len(v) == 6 and isinstance(v[5], str)}

    def sha256(self, path: Path) -> str:
        """The file's sha256; raises what reading it raises (FileNotFoundError, PermissionError)."""
        key = str(path)
        before = _signature(path.stat())
        entry = self._known.get(key)
        if entry is not None and entry[:5] == before:
            self._seen[key] = entry
            return entry[5]
        started = time.time_ns()
        digest = sha256_of(path)
        settled = max(before[1], before[2]) < started - int(RACY_SECONDS * 1e9)  # modified and changed before then
        if settled and _signature(path.stat()) == before:  # not changed while it was read
            self._seen[key] = [*before, digest]
        return digest

    def save(self) -> None:
        """Add the entries taken in this pass to those of other passes (each family lists its own folder); files gone
        since are forgotten. A cache that cannot be written (a full disk, a read-only folder) only costs the next pass
        its hashing."""
        if self.path is None or all(self._known.get(k) == v for k, v in self._seen.items()):
            return
        entries = {k: v for k, v in self._load().items() if os.path.exists(k)} | self._seen
        aside = self.path.with_name(f".{CACHE_FILE}.{uuid.uuid4().hex}")  # the sensor and a refresh may save at once
        try:
            aside.write_text(json.dumps(entries), encoding="utf-8")
            os.replace(aside, self.path)
        except OSError:
            aside.unlink(missing_ok=True)
        self._known = entries
