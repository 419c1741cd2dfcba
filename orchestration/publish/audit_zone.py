"""The audit beside the raw zone: what a warehouse rebuilt from the zone needs besides its Parquet loads.

After each family's ingest the audit tables (loads, reasons, figure changes, confirmations, layouts, Great
Expectations results) are written to raw_zone/_audit/ with their checksums; `make restore`
(commands/restore.py) reads them back. A refresh into a new or empty warehouse while the zone holds loads is
refused here, so that a lost warehouse never erases the history the zone keeps.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.domain.families import ALL_FAMILIES
from orchestration.publish.checksums import write_checksums
from orchestration.publish.raw_zone import PARTITION_COLUMN, zone_dir
from orchestration.store.warehouse import Warehouse

AUDIT_FOLDER = "_audit"  # a leading underscore: engines reading the zone's family folders never see it
AUDIT_TABLES = (
    "audit.loads",
    "audit.load_issues",
    "audit.figure_changes",
    "audit.confirmations",
    "audit.layouts",
    "dq.expectation_results",
)


class RestoreNeededError(RuntimeError):
    """The warehouse is new or empty while the raw zone holds loads: a refresh would erase the zone's history."""


def export_audit(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    """Write the audit tables beside the raw zone (each written aside, then moved into place)."""
    folder = zone_dir(data_dir) / AUDIT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for table in AUDIT_TABLES:
        target = folder / f"{table}.parquet"
        writing = folder / f".{table}.writing"
        con.execute(f"copy (select * from {table}) to '{writing.as_posix()}' (format parquet, compression zstd)")
        os.replace(writing, target)
    write_checksums(folder, [f"{table}.parquet" for table in AUDIT_TABLES])  # verified by make verify and restore


def audit_exported(data_dir: Path) -> bool:
    return all((zone_dir(data_dir) / AUDIT_FOLDER / f"{table}.parquet").exists() for table in AUDIT_TABLES)


def zone_loads(data_dir: Path) -> int:
    """How many loads the raw zone holds (partitions of every family, the empty placeholders aside)."""
    zone = zone_dir(data_dir)
    return sum(1 for f in ALL_FAMILIES for p in (zone / f.name).glob(f"{PARTITION_COLUMN}=*") if not p.name.endswith("=none"))


def refuse_to_erase_history(warehouse: Warehouse) -> None:
    """Raise RestoreNeededError when the warehouse holds no load while the raw zone does."""
    held = zone_loads(warehouse.data_dir)
    if not held:
        return
    with warehouse.session() as con:
        loads = con.execute("select count(*) from audit.loads").fetchone()[0]
    if loads == 0:
        raise RestoreNeededError(
            f"the warehouse {warehouse.path} holds no load, but the raw zone holds {held}: the warehouse was lost or "
            "replaced. A refresh now would erase the history the raw zone keeps. Run `make restore` to rebuild the "
            "warehouse from it (every version, withdrawal and audit record), or move the raw zone aside to start anew."
        )
