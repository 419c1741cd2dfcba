"""Backups: a consistent copy of the warehouse after each refresh that published, the newest few kept.

DuckDB checkpoints a file when its last connection closes, and every warehouse write holds the writer lock, so a
copy taken under the lock with no connection open is a consistent warehouse. Copies go to <data>/backups/
(QZ_BACKUPS_KEPT, default 2; 0 turns them off). `make restore FROM=<copy>` puts one back: the damaged warehouse
is set aside, and the refresh that follows loads what raw/ gained since the copy. The raw zone is the first
line (restore.py: every version since the first load); a backup is the second, for when the zone is lost too.

No Dagster here.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from orchestration.store.warehouse import Warehouse

KEPT_ENV = "QZ_BACKUPS_KEPT"
DEFAULT_KEPT = 2


def backups_dir(data_dir: Path) -> Path:
    return data_dir / "backups"


def kept() -> int:
    try:
        return max(int(os.environ.get(KEPT_ENV, DEFAULT_KEPT)), 0)
    except ValueError:
        return DEFAULT_KEPT


def back_up(warehouse: Warehouse) -> Path | None:
    """Copy the warehouse (under the writer lock) into the backups folder; prune to the newest `kept()`."""
    if kept() == 0:
        return None
    folder = backups_dir(warehouse.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"warehouse-{datetime.now():%Y%m%d-%H%M%S-%f}.duckdb"
    partial = target.with_name(target.name + ".partial")
    with warehouse.lock():
        shutil.copyfile(warehouse.path, partial)
    os.replace(partial, target)  # a copy cut short (a full disk) is never taken for a backup
    for old in sorted(folder.glob("warehouse-*.duckdb"))[: -kept()]:
        old.unlink()
    return target


def put_back(warehouse: Warehouse, backup: Path) -> Path | None:
    """Make `backup` the warehouse; the current file, if any, is set aside (never deleted). Returns where it went."""
    from orchestration.store.restore import set_aside_damaged

    with warehouse.lock():
        set_aside = set_aside_damaged(warehouse)
        partial = warehouse.path.with_name(warehouse.path.name + ".partial")
        shutil.copyfile(backup, partial)
        os.replace(partial, warehouse.path)
    return set_aside
