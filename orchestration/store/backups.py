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

import duckdb

from orchestration import settings
from orchestration.store.warehouse import Warehouse


def backups_dir(data_dir: Path) -> Path:
    return data_dir / "backups"


def kept() -> int:
    return settings.current().backups_kept


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


def check_backup(warehouse: Warehouse, backup: Path) -> None:
    """Raises RuntimeError unless `backup` is a warehouse copy to put back: a file, not the warehouse itself, that
    DuckDB opens (read-only) and whose audit holds loads. Checked before anything of the current warehouse moves."""
    if not backup.is_file():
        raise RuntimeError(f"no backup at {backup} (they are in {backups_dir(warehouse.data_dir)})")
    if warehouse.path.exists() and backup.resolve() == warehouse.path.resolve():
        raise RuntimeError(f"{backup} is the warehouse itself: name a copy from {backups_dir(warehouse.data_dir)}")
    try:
        with duckdb.connect(str(backup), read_only=True) as con:
            loads = con.execute("select count(*) from audit.loads").fetchone()[0]
    except duckdb.Error as exc:
        raise RuntimeError(f"{backup} is not a warehouse backup ({str(exc).splitlines()[0][:120]})") from None
    if not loads:
        raise RuntimeError(f"{backup} holds no load: not a backup of a warehouse that served anything")


def put_back(warehouse: Warehouse, backup: Path) -> Path | None:
    """Make `backup` the warehouse; the current file, if any, is set aside (never deleted). Returns where it went."""
    check_backup(warehouse, backup)
    with warehouse.lock():
        set_aside = set_aside_damaged(warehouse)
        partial = warehouse.path.with_name(warehouse.path.name + ".partial")
        shutil.copyfile(backup, partial)
        os.replace(partial, warehouse.path)
    return set_aside


def set_aside_damaged(warehouse: Warehouse) -> Path | None:
    """Rename the warehouse file (and its write-ahead log) aside, never deleting it; the caller holds the lock."""
    if not warehouse.path.exists():
        return None
    set_aside = warehouse.path.with_name(f"{warehouse.path.stem}.damaged-{datetime.now():%Y%m%d-%H%M%S}.duckdb")
    warehouse.path.rename(set_aside)
    wal = warehouse.path.with_name(warehouse.path.name + ".wal")
    if wal.exists():
        wal.rename(set_aside.with_name(set_aside.name + ".wal"))
    return set_aside
