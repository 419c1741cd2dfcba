"""Publish the marts for readers: Parquet (zstd) files and a read-only DuckDB snapshot, swapped atomically.

BI tools never open the writer's file (DuckDB would refuse them while a refresh writes). Each publication
is a complete release folder written aside and then made current by renaming a symlink, so a reader
sees the old complete release or the new complete one, never a mix:

    <data>/serving/releases/<release_id>/{<mart>.parquet, snapshot.duckdb, sdmx/}
    <data>/serving/current -> releases/<release_id>
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.domain.families import FREE
from orchestration.publish.checksums import CHECKSUMS_FILE, damaged, read_checksums, write_checksums
from orchestration.sdmx.export import SDMX_FOLDER
from orchestration.sdmx.export import publish_release as publish_sdmx
from orchestration.store.sql_text import quote_identifier, string_literal
from orchestration.store.warehouse import Warehouse

SNAPSHOT_FILE = "snapshot.duckdb"  # not "marts.duckdb": the catalog name would clash with schema marts
# DuckDB 2 writes files that DuckDB 1.x cannot open ("version number 999"), and the BI clients people install
# embed DuckDB 1.x: Superset's `duckdb` extra pins duckdb<2, `@duckdb/node-api` (Evidence) is 1.5, and so are
# the JDBC drivers of Metabase and DBeaver. The snapshot is written in the format of DuckDB 1.4 (storage
# number 67), the oldest DuckDB 2 writes, which DuckDB 1.4, 1.5 and 2.x all read.
SNAPSHOT_STORAGE_VERSION = "v1.4.0"
META_COMMENTS = (
    "comment on table meta.release is 'The release these marts belong to (one row).'",
    "comment on column meta.release.release_id is 'Release id: creation sequence, UTC time and a random suffix.'",
    "comment on column meta.release.published_at is 'When the release was published.'",
    "comment on column meta.release.run_id is 'The Dagster run that published it.'",
    "comment on table meta.release_tables is 'Row count of every mart in this release.'",
    "comment on column meta.release_tables.table_name is 'The mart (a table in schema marts).'",
    "comment on column meta.release_tables.row_count is 'Its rows in this release.'",
)
KEEP_RELEASES = 3  # older ones are removed; a reader that still has one open keeps reading it (POSIX unlink)


@dataclass(frozen=True)
class Release:
    release_id: str
    path: Path
    row_counts: dict[str, int]
    sdmx_rows: dict[str, int]  # rows of each dataflow's SDMX-CSV file (sdmx/)
    repaired: list[str]  # files of the release served before that differed from their checksums (published anew)


def serving_root(data_dir: Path) -> Path:
    return data_dir / "serving"


def current_snapshot(data_dir: Path) -> Path:
    """What readers open: <data>/serving/current/snapshot.duckdb."""
    return serving_root(data_dir) / "current" / SNAPSHOT_FILE


def published_run_id(data_dir: Path) -> str | None:
    """The Dagster run whose marts the current snapshot holds; None when there is none or it cannot be read."""
    return _current_release(data_dir, "run_id")


def published_time(data_dir: Path) -> datetime | None:
    """When the current release was published (naive UTC, as release times are compared); None without one."""
    published = _current_release(data_dir, "published_at")
    return published.astimezone(UTC).replace(tzinfo=None) if published is not None else None


def _current_release(data_dir: Path, column: str):
    path = current_snapshot(data_dir)
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(f"select {column} from meta.release").fetchone()[0]
    except duckdb.Error:
        return None


def verify_current(data_dir: Path) -> list[str]:
    """The files of the current release that are missing or differ from the checksums written with it (empty when
    intact, or when there is no release or it predates checksums)."""
    current = serving_root(data_dir) / "current"
    if not current.exists():
        return []
    sums = read_checksums(current / CHECKSUMS_FILE)
    if sums is None:
        return [CHECKSUMS_FILE] if (current / CHECKSUMS_FILE).exists() else []
    return damaged(current, sums)


def _sequence(name: str) -> int:
    head = name.split("-", 1)[0]
    return int(head) if head.isdigit() else 0  # releases named by an older version: before every numbered one


def _releases_in_order(releases: Path) -> list[Path]:
    """Complete releases, oldest first, by their creation sequence (not by a clock, which can jump)."""
    return sorted((p for p in releases.iterdir() if not p.name.startswith(".")), key=lambda p: (_sequence(p.name), p.name))


def publish(warehouse: Warehouse, run_id: str = "") -> Release:
    """Write a new release aside and make it current; remove leftovers and old releases, never the current one.

    The whole publication holds the writer lock: a `.partial` folder or `.current-*` link found here was
    left by a publication that was killed, and is removed. The release served until now is checked against its
    checksums once: what is damaged is said in Release.repaired, and only intact SDMX files are reused.
    """
    root = serving_root(warehouse.data_dir)
    releases = root / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    with warehouse.lock():
        for leftover in [*releases.glob(".*.partial"), *root.glob(".current-*")]:
            leftover.unlink() if leftover.is_symlink() or leftover.is_file() else shutil.rmtree(leftover, ignore_errors=True)
        existing = _releases_in_order(releases)
        published_at = datetime.now(UTC)
        sequence = (_sequence(existing[-1].name) + 1) if existing else 1
        release_id = f"{sequence:06d}-{published_at:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:6]}"
        staging = releases / f".{release_id}.partial"
        repaired = verify_current(warehouse.data_dir)
        reusable = _reusable_sdmx(root / "current", repaired)
        staging.mkdir()
        try:
            counts, sdmx_rows = _write_release(warehouse, staging, release_id, published_at, run_id, reusable)
            # every file of the release, so that a refresh (and a reader) can tell a damaged one: verify_current
            write_checksums(staging, [p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()])
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

        final = releases / release_id
        staging.rename(final)
        link = root / f".current-{release_id}"
        link.symlink_to(Path("releases") / release_id)
        os.replace(link, root / "current")  # atomic: readers resolve either the old or the new release

        current = (root / "current").resolve()
        for old in _releases_in_order(releases)[:-KEEP_RELEASES]:
            if old.resolve() != current:
                shutil.rmtree(old, ignore_errors=True)
    return Release(release_id, final, counts, sdmx_rows, repaired)


def _reusable_sdmx(current: Path, damaged_files: list[str]) -> Path | None:
    """The SDMX folder of the release served now, when its checksums list its files and none of them is damaged."""
    listed = any(name.startswith(f"{SDMX_FOLDER}/") for name in read_checksums(current / CHECKSUMS_FILE) or {})
    broken = any(name.startswith(f"{SDMX_FOLDER}/") for name in damaged_files)
    return current.resolve() / SDMX_FOLDER if listed and not broken else None


def _write_release(
    warehouse: Warehouse, staging: Path, release_id: str, published_at: datetime, run_id: str, reusable: Path | None
) -> tuple[dict[str, int], dict[str, int]]:
    # The caller holds the writer lock. One transaction: the SDMX ledger's record of what this release serves is
    # committed only once every file of the release is written (a failure leaves the ledger as it was).
    with warehouse.connect() as con:
        con.begin()
        sdmx_counts = publish_sdmx(con, staging / SDMX_FOLDER, published_at, release_id, reusable)
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        # The descriptions dbt persisted as COMMENTs (persist_docs), to carry into the snapshot.
        table_comments = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'marts' and comment is not null"
            ).fetchall()
        )
        column_comments = con.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts' and comment is not null"
        ).fetchall()
        # ... and the NOT NULL of the grain columns (dbt model contracts), which CREATE TABLE AS would drop.
        not_null = con.execute(
            "select table_name, unnest(constraint_column_names) from duckdb_constraints() "
            "where schema_name = 'marts' and constraint_type = 'NOT NULL'"
        ).fetchall()
        # The marts with confidential rows (conf_status other than F) keep them in the writer's warehouse: the Parquet
        # files, the snapshot (made from them) and so Superset never see one.
        with_status = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.columns where table_schema = 'marts' and column_name = 'conf_status'"
            ).fetchall()
        }
        counts = {}
        for table in tables:
            path = string_literal(str(staging / f"{table}.parquet"))  # COPY takes no parameter for its target
            free_only = f" where conf_status = '{FREE}'" if table in with_status else ""
            # COPY answers with the number of rows it wrote: the row count without a second scan of the mart
            counts[table] = con.execute(
                f"copy (select * from marts.{quote_identifier(table)}{free_only}) to {path} (format parquet, compression zstd)"
            ).fetchone()[0]
        _write_snapshot(staging, release_id, published_at, run_id, tables, counts, (table_comments, column_comments, not_null))
        con.commit()
    return counts, sdmx_counts


def _write_snapshot(
    staging: Path,
    release_id: str,
    published_at: datetime,
    run_id: str,
    tables: list[str],
    counts: dict[str, int],
    described: tuple,
) -> None:
    table_comments, column_comments, not_null = described
    # The snapshot holds the marts as tables (not views over the Parquet files), so it is self-contained.
    snapshot = string_literal(str(staging / SNAPSHOT_FILE))  # ATTACH takes no parameter for its path
    with duckdb.connect(config=settings.duckdb_config(temp_directory=staging / "spill")) as snap:
        snap.execute(f"attach {snapshot} as snapshot (storage_version '{SNAPSHOT_STORAGE_VERSION}')")
        snap.execute("use snapshot")
        snap.execute("create schema marts; create schema meta")
        # duckdb-engine reflects through DuckDB's pg_catalog; on SQLAlchemy 2.0 its queries cast to REGCLASS, a
        # PostgreSQL type DuckDB 2.0 lacks, so key reflection, Table(autoload_with=...) and pandas.read_sql_table
        # fail ("Type with name REGCLASS does not exist"). A type of that name here lets those queries bind.
        snap.execute("create type main.regclass as varchar")
        for table in tables:
            snap.execute(
                f"create table marts.{quote_identifier(table)} as select * from read_parquet(?)",
                [str(staging / f"{table}.parquet")],
            )
        for table, column in not_null:
            if table in tables:
                snap.execute(f"alter table marts.{quote_identifier(table)} alter column {quote_identifier(column)} set not null")
        for table, comment in table_comments.items():
            if table in tables:
                snap.execute(f"comment on table marts.{quote_identifier(table)} is {string_literal(comment)}")
        for table, column, comment in column_comments:
            if table in tables:
                snap.execute(
                    f"comment on column marts.{quote_identifier(table)}.{quote_identifier(column)} is {string_literal(comment)}"
                )
        # Each mart as a view in main, the schema a tool queries when it names no schema: Superset's SQL Lab never
        # sets one for DuckDB, so `select … from fct_observation` works there, whichever schema is picked. The
        # views carry the marts' descriptions too.
        for table in tables:
            snap.execute(f"create view main.{quote_identifier(table)} as select * from marts.{quote_identifier(table)}")
            if table in table_comments:
                snap.execute(f"comment on view main.{quote_identifier(table)} is {string_literal(table_comments[table])}")
        for table, column, comment in column_comments:
            if table in tables:
                snap.execute(
                    f"comment on column main.{quote_identifier(table)}.{quote_identifier(column)} is {string_literal(comment)}"
                )
        snap.execute("create table meta.release (release_id varchar, published_at timestamptz, run_id varchar)")
        snap.execute("insert into meta.release values (?, ?, ?)", [release_id, published_at, run_id])
        snap.execute("create table meta.release_tables (table_name varchar, row_count bigint)")
        snap.executemany("insert into meta.release_tables values (?, ?)", list(counts.items()))
        for statement in META_COMMENTS:
            snap.execute(statement)
        snap.execute("use memory")
        snap.execute("detach snapshot")  # checkpoints the file
    shutil.rmtree(staging / "spill", ignore_errors=True)  # what DuckDB spilled, if the copy outgrew its memory
