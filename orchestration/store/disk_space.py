"""Running out of disk is a verdict, not a traceback: recognise it in any layer's error, and say how much is free.

DuckDB says "No space left on device", SQLite (Dagster's run storage) "database or disk is full", Python raises
OSError with errno ENOSPC (28) or EDQUOT (122, a quota); but SQLite may only say "disk I/O error" when a write
fails for want of space. So an error is also taken for a full disk when the data folder's disk has less than
LOW_SPACE_MB left: whatever the message, a refresh cannot go on there. Pure: no Dagster, no DuckDB.
"""

from __future__ import annotations

import errno
import re
import shutil
from pathlib import Path

LOW_SPACE_MB = 5.0
_NO_SPACE = re.compile(r"no space left on device|database or disk is full|disk quota exceeded|\[errno (28|122)\]", re.I)


def is_no_space(error: BaseException | str, data_dir: Path | None = None) -> bool:
    """True when the error, or any error it was raised from, says the disk (or a quota) is full, or when the data
    folder's disk (if given) is all but full."""
    if data_dir is not None and free_mb(data_dir) < LOW_SPACE_MB:
        return True
    if isinstance(error, str):
        return bool(_NO_SPACE.search(error))
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if _NO_SPACE.search(str(current)):
            return True
        current = current.__cause__ or current.__context__
    return False


def free_mb(path: Path) -> float:
    """Free space on the disk holding `path` (or its nearest existing parent), in MB."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free / 1e6
    return 0.0


def no_space_verdict(data_dir: Path) -> str:
    return f"Refresh FAILED: no space left on the data folder's disk ({free_mb(data_dir):,.0f} MB free at {data_dir})"
