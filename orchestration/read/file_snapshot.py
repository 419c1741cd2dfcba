"""One read of a file: the bytes that are hashed are the bytes that are parsed and recorded.

A publication may still be arriving in raw/ while a refresh reads it (a copy under way, an editor saving in place).
Reading it twice — once to hash, once to parse — could record the hash of one version with the rows of another,
and every later refresh would skip the half-loaded file as unchanged. So a file is read once, whole, and is not
taken this time when:
- its modification time is younger than the settle time (QZ_SETTLE_SECONDS, default 5): something may still be
  writing it;
- its size or modification time differ before and after the read, or the bytes read are not its size;
- its content differs from what the refresh hashed when it listed the folder.
Such a file is "still being written": it is listed as deferred, nothing of it is recorded, whatever it served
before is still served, and the next refresh takes it.

Pure: no Dagster, no DuckDB.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from orchestration import settings
from orchestration.store.files import sha256_hex


class StillBeingWritten(Exception):
    """The file changed, or may still change, while the refresh reads it: try again on the next refresh."""


def settle_seconds() -> float:
    return settings.current().settle_seconds


def seconds_to_settle(path: Path, now: float, settle: float) -> float:
    """How long until the file counts as settled (0: it does now). A modification time far in the future (clock
    skew, an archive's dates) is not "being written": waiting would never end."""
    age = now - path.stat().st_mtime
    return settle - age if abs(age) < settle else 0.0


def unsettled_reason(path: Path, now: float | None = None, settle: float | None = None) -> str | None:
    """Why the file may still be being written, or None."""
    settle = settle_seconds() if settle is None else settle
    now = time.time() if now is None else now
    if seconds_to_settle(path, now, settle):
        return f"modified {max(now - path.stat().st_mtime, 0):.1f} s ago (settle time {settle:g} s)"
    return None


# How long a refresh a person started waits for files still settling before it defers them as a scheduled one does.
MAX_SETTLE_WAIT_SECONDS = 120.0


def wait_until_settled(
    paths: Iterable[Path],
    on_wait: Callable[[Path, float], None],
    settle: float | None = None,
    limit: float = MAX_SETTLE_WAIT_SECONDS,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Path]:
    """Wait while any of `paths` was modified less than the settle time ago (a copy that just finished, or one still
    growing), telling `on_wait(path, seconds)` each time; give up after `limit` seconds. Returns the paths still
    unsettled then (the refresh defers them, as always). A person who copies a file in and runs `make run` at once
    gets it loaded, instead of "deferred" and a second run."""
    settle = settle_seconds() if settle is None else settle
    paths = list(paths)
    started = clock()
    while True:
        now, waiting = clock(), {}
        for path in paths:
            try:
                if seconds := seconds_to_settle(path, now, settle):
                    waiting[path] = seconds
            except OSError:
                continue  # gone or unreadable: the refresh says so
        if not waiting or now - started >= limit:
            return sorted(waiting)
        path, seconds = max(waiting.items(), key=lambda item: item[1])
        on_wait(path, seconds)
        sleep(min(seconds + 0.05, max(limit - (now - started), 0.05)))


def read_whole(path: Path, expected_sha256: str | None = None) -> bytes:
    """The file's bytes, read once, when the file held still while it was read; raises StillBeingWritten."""
    before = path.stat()
    data = path.read_bytes()
    after = path.stat()
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(data) != after.st_size:
        raise StillBeingWritten(f"changed while it was read ({before.st_size:,} → {after.st_size:,} bytes)")
    if expected_sha256 is not None and sha256_hex(data) != expected_sha256:
        raise StillBeingWritten("changed between the listing of the folder and its reading")
    return data
