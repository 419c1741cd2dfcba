"""The DuckDB warehouse file: schema, the writer lock, and one-transaction commits of validated loads.

DuckDB lets one process hold a file open for writing, and dbt runs as a subprocess. So nothing
here keeps a connection: every operation takes the writer lock (a file lock beside the
warehouse), opens, works, commits and closes. dbt runs under the same lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from orchestration import settings
from orchestration.families import ALL_FAMILIES, Family
from orchestration.locks import LockHeldError, exclusive_lock
from orchestration.reading import ROW_COLUMN, Issue
from orchestration.validation import Catalogue

LOAD_COLUMNS = ("_load_id", "_file_path", "_row", "_superseded_by_load")

_AUDIT_DDL = """
create schema if not exists raw;
create schema if not exists audit;
create schema if not exists dq;
create sequence if not exists audit.load_id_seq;
create table if not exists audit.loads (
    load_id bigint primary key,
    run_id varchar,
    family varchar not null,
    file_path varchar not null,
    file_sha256 varchar not null,
    file_bytes bigint,
    encoding varchar,                   -- detected: utf-8-sig, gb18030, or xlsx
    status varchar not null,            -- loaded | quarantined
    rows_read integer,
    rows_loaded integer,
    issue_count integer,
    catalogue_fingerprint varchar,      -- which catalogue loads the file was validated against
    started_at timestamp,
    finished_at timestamp,
    duration_ms double
);
create table if not exists audit.load_issues (
    load_id bigint not null,
    file_path varchar not null,
    row_number integer,
    column_name varchar,
    rule varchar not null,
    value varchar,
    message varchar not null
);
create table if not exists dq.expectation_results (
    load_id bigint not null,
    family varchar not null,
    file_path varchar not null,
    expectation_type varchar not null,
    column_name varchar,
    kwargs varchar,
    success boolean not null,
    element_count bigint,
    unexpected_count bigint,
    unexpected_percent double,
    observed_value varchar,
    validated_at timestamp not null
);
"""


def _raw_ddl(family: Family) -> str:
    columns = [f'"{name}" {sql_type}' for name, sql_type in family.stored_columns()]
    columns += ['"_load_id" bigint not null', '"_file_path" varchar not null', '"_row" integer', '"_superseded_by_load" bigint']
    return f'create table if not exists raw."{family.name}" (\n    ' + ",\n    ".join(columns) + "\n);"


class WarehouseUnavailableError(RuntimeError):
    """The warehouse file cannot be opened (unreadable, not a DuckDB file, ...)."""


class WarehouseLockedError(WarehouseUnavailableError):
    """Another process holds the warehouse."""


@dataclass(frozen=True)
class LoadRecord:
    run_id: str
    family: Family
    file_path: str
    sha256: str
    file_bytes: int
    rows_read: int
    catalogue_fingerprint: str
    started_at: datetime
    encoding: str | None = None


class Warehouse:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.path = settings.warehouse_path(self.data_dir)
        self.lock_path = self.data_dir / settings.LOCK_FILE

    @contextmanager
    def lock(self, wait: bool = True) -> Iterator[None]:
        """Exclusive writer lock for the whole data folder (ingest and dbt alike)."""
        try:
            with exclusive_lock(self.lock_path, wait=wait):
                yield
        except LockHeldError as exc:
            raise WarehouseLockedError(f"{self.path} is being written by {exc.holder}") from None

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open, use, close. Writers must hold `lock()`."""
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"no warehouse at {self.path}: run the refresh first")
        try:
            con = duckdb.connect(
                str(self.path), read_only=read_only,
                config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
            )
        except duckdb.IOException as exc:
            # DuckDB names the holder: "Conflicting lock is held in /usr/bin/python3 (PID 1234)".
            holder = re.search(r"held in (.+?)(?: by user \S+)?\. See", str(exc)) or re.search(r"held in (.+)", str(exc))
            if "lock" in str(exc).lower():
                raise WarehouseLockedError(
                    f"{self.path} is open in another process ({holder.group(1).strip() if holder else 'unknown holder'}); "
                    "close it (BI tools should read the serving copy) and run the refresh again"
                ) from None
            raise WarehouseUnavailableError(f"cannot open the warehouse {self.path}: {exc}") from None
        try:
            yield con
        finally:
            con.close()

    def ensure_schema(self) -> None:
        with self.lock(), self.connect() as con:
            con.execute(_AUDIT_DDL)
            # A warehouse made by an older version gains the columns added since (never loses any).
            con.execute("alter table audit.loads add column if not exists encoding varchar")
            for family in ALL_FAMILIES:
                con.execute(_raw_ddl(family))
                for name, sql_type in family.stored_columns():
                    con.execute(f'alter table raw."{family.name}" add column if not exists "{name}" {sql_type}')

    # --- what is already there -------------------------------------------------------------

    def previous_outcome(self, con: duckdb.DuckDBPyConnection, file_path: str, sha256: str, fingerprint: str) -> str | None:
        """'loaded' if this exact content is current; 'quarantined' if it failed against the same catalogue."""
        row = con.execute(
            """
            select status from audit.loads
            where file_path = ? and file_sha256 = ?
              and (status = 'loaded' or catalogue_fingerprint = ?)
            order by load_id desc limit 1
            """,
            [file_path, sha256, fingerprint],
        ).fetchone()
        if row and row[0] == "loaded":
            # Loaded once, but a later version of the same file may have replaced it since.
            latest = con.execute(
                "select file_sha256 from audit.loads where file_path = ? and status = 'loaded' order by load_id desc limit 1",
                [file_path],
            ).fetchone()
            return "loaded" if latest and latest[0] == sha256 else None
        return row[0] if row else None

    def catalogue_fingerprint(self, con: duckdb.DuckDBPyConnection) -> str:
        rows = con.execute(
            "select family, max(load_id) from audit.loads where status = 'loaded' and family in ('regions', 'indicators', 'sources') group by family order by family"
        ).fetchall()
        return ";".join(f"{family}:{load_id}" for family, load_id in rows)

    def catalogue(self, con: duckdb.DuckDBPyConnection) -> Catalogue:
        current = "_superseded_by_load is null"
        indicators = con.execute(
            f"select indicator_code, unit, value_type, range_min, range_max from raw.indicators where {current}"
        ).df()
        regions = tuple(r[0] for r in con.execute(f"select region_code from raw.regions where {current}").fetchall())
        sources = tuple(r[0] for r in con.execute(f"select source_id from raw.sources where {current}").fetchall())
        return Catalogue(indicators, regions, sources)

    # --- writing one file's outcome, always in one transaction -----------------------------

    def _insert_load(self, con, load_id: int, record: LoadRecord, status: str, rows_loaded: int, issue_count: int) -> None:
        finished = datetime.now()
        con.execute(
            """
            insert into audit.loads (
                load_id, run_id, family, file_path, file_sha256, file_bytes, encoding, status, rows_read,
                rows_loaded, issue_count, catalogue_fingerprint, started_at, finished_at, duration_ms
            ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                load_id, record.run_id, record.family.name, record.file_path, record.sha256, record.file_bytes,
                record.encoding, status, record.rows_read, rows_loaded, issue_count, record.catalogue_fingerprint,
                record.started_at, finished, (finished - record.started_at).total_seconds() * 1000,
            ],
        )

    def _insert_results(self, con, load_id: int, record: LoadRecord, results: Sequence[dict[str, Any]]) -> None:
        if not results:
            return
        frame = pd.DataFrame(results)
        frame.insert(0, "load_id", load_id)
        frame.insert(1, "family", record.family.name)
        frame.insert(2, "file_path", record.file_path)
        frame["validated_at"] = datetime.now()
        con.register("dq_batch", frame)
        con.execute("insert into dq.expectation_results by name select * from dq_batch")
        con.unregister("dq_batch")

    @staticmethod
    @contextmanager
    def _load_transaction(con) -> Iterator[int]:
        """One transaction for everything a file's load writes; yields the new load id."""
        con.execute("begin transaction")
        try:
            yield con.execute("select nextval('audit.load_id_seq')").fetchone()[0]
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise

    def commit_load(self, con, record: LoadRecord, frame: pd.DataFrame, results: Sequence[dict[str, Any]]) -> int:
        """Insert the validated rows, retire the file's previous version, record the load: all or nothing."""
        stored = [name for name, _ in record.family.stored_columns()]
        batch = frame[stored + [ROW_COLUMN]].copy()
        with self._load_transaction(con) as load_id:
            batch.insert(0, "_load_id", load_id)
            batch.insert(1, "_file_path", record.file_path)
            table = f'raw."{record.family.name}"'
            con.execute(
                f"update {table} set _superseded_by_load = ? where _file_path = ? and _superseded_by_load is null",
                [load_id, record.file_path],
            )
            con.register("raw_batch", batch)
            con.execute(f"insert into {table} by name select * from raw_batch")
            con.unregister("raw_batch")
            self._insert_load(con, load_id, record, "loaded", len(batch), 0)
            self._insert_results(con, load_id, record, results)
        return load_id

    def record_quarantine(self, con, record: LoadRecord, issues: Sequence[Issue], results: Sequence[dict[str, Any]]) -> int:
        """Record why a file was refused. raw.* is not touched."""
        with self._load_transaction(con) as load_id:
            self._insert_load(con, load_id, record, "quarantined", 0, len(issues))
            con.executemany(
                "insert into audit.load_issues (load_id, file_path, row_number, column_name, rule, value, message) values (?, ?, ?, ?, ?, ?, ?)",
                [[load_id, record.file_path, i.row, i.column, i.rule, i.value, i.message] for i in issues],
            )
            self._insert_results(con, load_id, record, results)
        return load_id
