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

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.commands.refresh import EXIT_FAILED, EXIT_PUBLISHED, run_refresh
from orchestration.domain.families import ALL_FAMILIES
from orchestration.publish.audit_zone import AUDIT_FOLDER, AUDIT_TABLES, zone_loads
from orchestration.publish.checksums import CHECKSUMS_FILE, damaged, read_checksums
from orchestration.publish.raw_zone import PART_FILE, PARTITION_COLUMN, zone_dir
from orchestration.publish.serving import serving_root, verify_current
from orchestration.sdmx.export import HISTORY_FOLDER, SDMX_FOLDER, restore_history
from orchestration.store.backups import put_back, set_aside_damaged
from orchestration.store.ddl import fill_defaults
from orchestration.store.locks import exclusive_lock
from orchestration.store.warehouse import Warehouse


@dataclass(frozen=True)
class Restored:
    set_aside: Path | None  # where the damaged warehouse went
    rows: dict[str, int]  # table -> rows restored


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
    release_history = serving_root(data_dir) / "current" / SDMX_FOLDER / HISTORY_FOLDER
    if broken := [name for name in verify_current(data_dir) if name.startswith(f"{SDMX_FOLDER}/{HISTORY_FOLDER}/")]:
        raise RuntimeError(
            f"the current release's SDMX history files {', '.join(broken)} differ from their checksums: what was served "
            "when cannot be trusted (restore a backup instead: make restore FROM=…)"
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
                fill_defaults(con, family)
            rows[f"raw.{family.name}"] = con.execute(f'select count(*) from raw."{family.name}"').fetchone()[0]
        for table in AUDIT_TABLES:
            source = zone / AUDIT_FOLDER / f"{table}.parquet"
            if source.exists():
                con.execute(f"insert into {table} by name select * from read_parquet(?)", [source.as_posix()])
            rows[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
        # what was served, and when: the SDMX ledger, from the copy the current release carries (verified above)
        rows.update(restore_history(con, release_history))
        # new loads continue the numbering: load ids are what the history refers to
        start = (con.execute("select max(load_id) from audit.loads").fetchone()[0] or 0) + 1
        con.execute("drop sequence audit.load_id_seq")
        con.execute(f"create sequence audit.load_id_seq start with {int(start)}")
        con.execute("commit")
    return Restored(set_aside, rows)


def main(argv: list[str]) -> int:
    """`make restore` (from the raw zone) or `make restore FROM=<backup>` (a copy from <data>/backups/). The whole of
    it, the refresh after it included, holds the refresh lock: a `make run` started meanwhile waits for it, and it
    waits for a refresh under way, so a restore never swaps the warehouse under a refresh that writes it."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.commands.restore", description=main.__doc__.splitlines()[0])
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
    raise SystemExit(main(sys.argv[1:]))
