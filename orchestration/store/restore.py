"""Rebuild a lost or damaged warehouse from the raw zone, history included.

The raw zone (publish/raw_zone.py) holds every load of every family as Parquet with its retirement columns, and
beside it, in raw_zone/_audit/, the audit the history needs (loads, reasons, figure changes, confirmations,
Great Expectations results), rewritten after each family's ingest. `restore` sets the damaged warehouse aside
(never deletes it), creates a new one and fills raw.*, audit.* and dq.* from those files; the refresh that follows
(`make restore` runs it) finds every file already loaded and rebuilds every mart from the restored history, so it
serves the same marts and the same fct_observation_vintage as the warehouse it replaces.

No Dagster here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.publish.checksums import CHECKSUMS_FILE, damaged, read_checksums, write_checksums
from orchestration.publish.raw_zone import PART_FILE, PARTITION_COLUMN, zone_dir
from orchestration.schema.families import ALL_FAMILIES
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


@dataclass(frozen=True)
class Restored:
    set_aside: Path | None  # where the damaged warehouse went
    rows: dict[str, int]  # table -> rows restored


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


def restore(data_dir: Path) -> Restored:
    """Set the warehouse aside (if any) and rebuild raw.*, audit.* and dq.* from the raw zone."""
    zone = zone_dir(data_dir)
    if not zone_loads(data_dir):
        raise RuntimeError(f"the raw zone {zone} holds no load: nothing to restore from")
    audit = zone / AUDIT_FOLDER
    if (sums := read_checksums(audit / CHECKSUMS_FILE)) and (broken := damaged(audit, sums)):
        raise RuntimeError(
            f"the raw zone's audit files {', '.join(broken)} differ from their checksums: the history they hold cannot be "
            "trusted (restore a backup instead: make restore FROM=…)"
        )
    warehouse = Warehouse(data_dir)
    with warehouse.lock():
        set_aside = set_aside_damaged(warehouse)
    warehouse.ensure_schema()
    rows: dict[str, int] = {}
    with warehouse.session() as con:
        con.execute("begin transaction")
        for family in ALL_FAMILIES:
            parts = sorted((zone / family.name).glob(f"{PARTITION_COLUMN}=*/{PART_FILE}"))
            if parts:
                con.execute(
                    f'insert into raw."{family.name}" by name select * from read_parquet(?, hive_partitioning = false, union_by_name = true)',
                    [[p.as_posix() for p in parts]],
                )
            rows[f"raw.{family.name}"] = con.execute(f'select count(*) from raw."{family.name}"').fetchone()[0]
        for table in AUDIT_TABLES:
            source = zone / AUDIT_FOLDER / f"{table}.parquet"
            if source.exists():
                con.execute(f"insert into {table} by name select * from read_parquet(?)", [source.as_posix()])
            rows[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
        # new loads continue the numbering: load ids are what the history refers to
        start = (con.execute("select max(load_id) from audit.loads").fetchone()[0] or 0) + 1
        con.execute("drop sequence audit.load_id_seq")
        con.execute(f"create sequence audit.load_id_seq start with {int(start)}")
        con.execute("commit")
    return Restored(set_aside, rows)


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


def main(argv: list[str]) -> int:
    """`make restore` (from the raw zone) or `make restore FROM=<backup>` (a copy from <data>/backups/). The whole of
    it, the refresh after it included, holds the refresh lock: a `make run` started meanwhile waits for it, and it
    waits for a refresh under way, so a restore never swaps the warehouse under a refresh that writes it."""
    import argparse
    import sys

    from orchestration.refresh import EXIT_FAILED, EXIT_PUBLISHED, run_refresh
    from orchestration.store.backups import put_back
    from orchestration.store.locks import exclusive_lock

    parser = argparse.ArgumentParser(prog="python -m orchestration.store.restore", description=main.__doc__.splitlines()[0])
    parser.add_argument("backup", nargs="?", type=Path, help="a warehouse copy from <data>/backups/ (default: the raw zone)")
    args = parser.parse_args(argv)
    data_dir = settings.data_dir()

    def waiting(holder: str) -> None:
        print(f"a refresh is running ({holder}); the restore waits for it to finish", file=sys.stderr, flush=True)

    with exclusive_lock(data_dir / settings.REFRESH_LOCK_FILE, on_wait=waiting):
        try:
            if args.backup:
                set_aside = put_back(Warehouse(data_dir), args.backup)
                print(f"the warehouse is the backup {args.backup} again")
            else:
                restored = restore(data_dir)
                set_aside = restored.set_aside
                print("restored from the raw zone: " + ", ".join(f"{t} {n:,}" for t, n in restored.rows.items()))
        except (RuntimeError, OSError, duckdb.Error) as exc:
            print(f"Restore FAILED: {exc}", file=sys.stderr)
            return EXIT_FAILED
        if set_aside:
            print(f"the previous warehouse was set aside as {set_aside} (delete it once the restore is checked)")
        summary = run_refresh()  # every mart rebuilt from the restored history, published and reported
    print(summary.render())
    return EXIT_PUBLISHED if summary.success else EXIT_FAILED


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
