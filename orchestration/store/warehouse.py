"""The DuckDB warehouse file: schema, the writer lock, and one-transaction commits of validated loads.

DuckDB lets one process hold a file open for writing, and dbt runs as a subprocess. So nothing
here keeps a connection: every operation takes the writer lock (a file lock beside the
warehouse), opens, works, commits and closes. dbt runs under the same lock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from orchestration import settings
from orchestration.dbt_tools.build_scope import BuildScope, ChangesSince, LastBuild
from orchestration.ingest.families import ALL_FAMILIES, FACT_FAMILIES, Family
from orchestration.ingest.reading import ROW_COLUMN, Issue
from orchestration.ingest.table_layout import Labels
from orchestration.ingest.validation import Catalogue
from orchestration.store.locks import LockHeldError, exclusive_lock

# The audit.loads status of a version the shrink guard held. It serves nothing (the version before it still is), so
# it never counts as what its path serves (`latest_records` skips it; `held_versions` lists it).
HELD = "held"
UNFINISHED_BUILD = "(unfinished)"  # audit.dbt_builds.inputs_fingerprint of a build under way, failed or killed
LOAD_COLUMNS = ("_load_id", "_file_path", "_row", "_superseded_by_load", "_withdrawn_at", "_withdrawn_reason")
# Added after the first release: created with every raw table, and added to older warehouses by ensure_schema.
_WITHDRAWAL_COLUMNS = (("_withdrawn_at", "timestamp"), ("_withdrawn_reason", "varchar"))

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
    status varchar not null,            -- loaded | quarantined | withdrawn | moved
    rows_read integer,
    rows_loaded integer,
    issue_count integer,
    catalogue_fingerprint varchar,      -- which catalogue loads the file was validated against
    started_at timestamp,
    finished_at timestamp,
    duration_ms double,
    note varchar                        -- why a file was withdrawn, where it moved from or to
);
-- Every accepted version of each layout (raw/catalogue/layouts/): a layout refused later leaves its last accepted
-- version in force, read from here.
create table if not exists audit.layouts (
    layout_path varchar not null,
    sha256 varchar not null,
    text varchar not null,
    accepted_at timestamp not null,
    run_id varchar
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
create table if not exists audit.dbt_builds (
    inputs_fingerprint varchar not null,    -- the raw state (last audit record) and the dbt project's files
    run_id varchar,
    built_at timestamp not null
);
-- What the dbt build under way recomputes (dbt_project/macros/changed_figures.sql reads it): a 'scoped' row, then
-- the changed observation files ('path') and sources ('source'). Empty outside a scoped build: every figure.
create table if not exists audit.dbt_build_scope (
    kind varchar not null,
    value varchar
);
-- Figure by figure, what each change of a fact file did to what it serves: a figure a new version changes (old ->
-- new), one it no longer has, one a refused or deleted file stops serving. Written in the transaction of the load,
-- quarantine or withdrawal (load_id) that did it; a version held by the shrink guard records what it would do.
create table if not exists audit.figure_changes (
    load_id bigint not null,
    family varchar not null,
    file_path varchar not null,
    change varchar not null,            -- changed | withdrawn
    figure varchar not null,            -- the figure's key as text: region · indicator · period, or the target id
    old_value double,
    old_text varchar,                   -- as published in the version served before
    new_value double,
    new_text varchar,
    source_cell varchar                 -- where the figure is in the original (a table's sheet and cell), if known
);
-- A steward's confirmation that a file's version held by the shrink guard may be served (make confirm FILE=...).
create table if not exists audit.confirmations (
    file_path varchar not null,
    file_sha256 varchar not null,
    confirmed_at timestamp not null,
    confirmed_by varchar,
    note varchar
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
    columns += [f'"{name}" {sql_type}' for name, sql_type in _WITHDRAWAL_COLUMNS]
    return f'create table if not exists raw."{family.name}" (\n    ' + ",\n    ".join(columns) + "\n);"


def _figure_sql(family: Family) -> tuple[str, str]:
    """(the figure's key as text, its value column) of a fact family."""
    key = " || ' · ' || ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in family.key)
    value = next(c.name for c in family.columns if c.kind in ("quantity", "number"))
    return key, value


def _figure_diff_sql(family: Family, new_rows: str) -> str:
    """Per figure, the rows a path serves now (parameter $path) against `new_rows`: withdrawn (no longer there) or
    changed (another value; the text as published is kept beside it). Unchanged and added figures are not listed."""
    key, value = _figure_sql(family)
    cell = "source_cell" if "source_cell" in family.column_names else "cast(null as varchar)"
    return f"""
        with old as (select {key} as figure, "{value}" as v, as_published as t, {cell} as c from raw."{family.name}"
                     where _file_path = $path and _superseded_by_load is null),
             new as (select {key} as figure, "{value}" as v, as_published as t, {cell} as c from {new_rows})
        select case when new.figure is null then 'withdrawn' else 'changed' end as change, old.figure,
               old.v as old_value, old.t as old_text, new.v as new_value, new.t as new_text, coalesce(new.c, old.c)
        from old left join new using (figure)
        where new.figure is null or old.v is distinct from new.v
    """


@dataclass(frozen=True)
class FigureDiff:
    """What a new version of a served fact file does to the figures its path serves."""

    served: int  # figures the path serves now
    withdrawn: int  # of them, not in the new version
    changed: int  # of them, with another value

    def shrinks_more_than(self, share: float) -> bool:
        return self.served > 0 and self.withdrawn / self.served > share

    def hold_message(self, share: float, file_path: str) -> str:
        return (
            f"the new version no longer has {self.withdrawn:,} of the {self.served:,} figures this file serves "
            f"({self.withdrawn / self.served:.0%}, more than the shrink guard's {share:.0%}): held, the previous version "
            f"is still served. If the cut is intended: make confirm FILE={file_path}"
        )


class WarehouseUnavailableError(RuntimeError):
    """The warehouse file cannot be opened (unreadable, not a DuckDB file, ...)."""


class WarehouseLockedError(WarehouseUnavailableError):
    """Another process holds the warehouse."""


# What DuckDB says when the bytes of the file are not what it wrote (cut off, zeroed, overwritten).
_DAMAGED = re.compile(r"Could not read enough bytes|[Cc]orrupt|checksum|not a valid DuckDB database|truncated|invalid block")


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
    layout: str | None = None  # Layout.ident of the layout a bureau table was read through


class Warehouse:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.path = settings.warehouse_path(self.data_dir)
        self.lock_path = self.data_dir / settings.LOCK_FILE
        self._held: duckdb.DuckDBPyConnection | None = None

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
                str(self.path),
                read_only=read_only,
                config=settings.duckdb_config(),
            )
        except duckdb.IOException as exc:
            # DuckDB names the holder: "Conflicting lock is held in /usr/bin/python3 (PID 1234)".
            holder = re.search(r"held in (.+?)(?: by user \S+)?\. See", str(exc)) or re.search(r"held in (.+)", str(exc))
            if "lock" in str(exc).lower():
                raise WarehouseLockedError(
                    f"{self.path} is open in another process ({holder.group(1).strip() if holder else 'unknown holder'}); "
                    "close it (BI tools should read the serving copy) and run the refresh again"
                ) from None
            raise WarehouseUnavailableError(
                f"cannot open the warehouse {self.path}: {exc}. If it is damaged, `make restore` sets it aside and "
                "rebuilds it from the raw zone with its history"
            ) from None
        try:
            yield con
        except (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException) as exc:
            # A damaged file does not always fail to open: a cut-off one fails on the first read past the cut.
            if not _DAMAGED.search(str(exc)):
                raise
            raise WarehouseUnavailableError(
                f"the warehouse {self.path} is damaged ({str(exc)[:200]}). `make restore` sets it aside and "
                "rebuilds it from the raw zone with its history"
            ) from None
        finally:
            con.close()

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The writer lock and a connection, for one unit of work; inside `held()`, the held ones."""
        if self._held is not None:
            yield self._held
            return
        with self.lock(), self.connect() as con:
            yield con

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep the lock and one connection across several units of work (all families of an ingest).

        Opening and closing a DuckDB file costs ~20 ms; nothing else (dbt) may run on the file meanwhile.
        """
        with self.session() as con:
            self._held = con
            try:
                yield
            finally:
                self._held = None

    def ensure_schema(self) -> None:
        with self.session() as con:
            con.execute(_AUDIT_DDL)
            # A warehouse made by an older version gains the columns added since (never loses any).
            con.execute("alter table audit.loads add column if not exists encoding varchar")
            con.execute("alter table audit.loads add column if not exists note varchar")
            con.execute("alter table audit.loads add column if not exists layout varchar")
            con.execute("alter table audit.figure_changes add column if not exists source_cell varchar")
            for column, sql_type in (("last_load_id", "bigint"), ("project_fingerprint", "varchar"), ("scope", "varchar")):
                con.execute(f"alter table audit.dbt_builds add column if not exists {column} {sql_type}")
            for family in ALL_FAMILIES:
                con.execute(_raw_ddl(family))
                for name, sql_type in [*family.stored_columns(), *_WITHDRAWAL_COLUMNS]:
                    con.execute(f'alter table raw."{family.name}" add column if not exists "{name}" {sql_type}')

    # --- what the marts were last built from -----------------------------------------------

    def last_load_id(self) -> int | None:
        """Every ingest action appends to audit.loads (a load, a quarantine, a withdrawal, a move): its last
        record stands for the raw state."""
        with self.session() as con:
            return con.execute("select max(load_id) from audit.loads").fetchone()[0]

    @staticmethod
    def dbt_inputs_fingerprint(last_load_id: int | None, project_fingerprint: str) -> str:
        """What a dbt build depends on: the raw state and the dbt project's files."""
        return hashlib.sha256(f"{last_load_id}|{project_fingerprint}".encode()).hexdigest()

    def changes_since(self, load_id: int) -> ChangesSince:
        """What changed after audit record `load_id`, for the scope of an incremental dbt build (build_scope.py)."""
        with self.session() as con:
            families = {
                f for (f,) in con.execute("select distinct family from audit.loads where load_id > ?", [load_id]).fetchall()
            }
            paths = con.execute(  # a move records the old path and the new one
                "select distinct file_path from audit.loads where load_id > ? and family = 'observations'", [load_id]
            ).fetchall()
            # Sources whose catalogue row differs between then and now (a catalogue file is reloaded whole: an
            # unchanged row of a new version is not a change). EXCEPT compares NULLs as equal.
            content = f"* exclude ({', '.join(LOAD_COLUMNS)})"
            sources = con.execute(
                f"""
                with at_last_build as (select {content} from raw.sources where _load_id <= $since
                                       and (_superseded_by_load is null or _superseded_by_load > $since)),
                     served as (select {content} from raw.sources where _superseded_by_load is null)
                select distinct source_id
                from ((from at_last_build except from served) union all (from served except from at_last_build))
                """,
                {"since": load_id},
            ).fetchall()
        return ChangesSince(frozenset(families), tuple(p for (p,) in paths), tuple(s for (s,) in sources))

    def last_dbt_build(self) -> tuple[str, str, LastBuild] | None:
        """(inputs fingerprint, run id, what it was built from) of the last successful dbt build whose marts are
        still there."""
        with self.session() as con:
            last = con.execute(
                "select inputs_fingerprint, run_id, last_load_id, project_fingerprint from audit.dbt_builds "
                "order by built_at desc limit 1"
            ).fetchone()
            marts = con.execute("select count(*) from information_schema.tables where table_schema = 'marts'").fetchone()[0]
        return (last[0], last[1], LastBuild(last[2], last[3])) if last is not None and marts > 0 else None

    def begin_dbt_build(self, run_id: str, scope: BuildScope) -> None:
        """Mark a build as under way and hand dbt its scope. Until `record_dbt_build` completes it, it counts as the
        last build and says nothing to start from: a build that fails or dies half-way (some tables rebuilt, some
        not) makes the next one rebuild every figure. The scope is a table, not dbt vars: vars that change at each
        build would make dbt parse the whole project again (~2 s)."""
        with self.session() as con:
            con.execute(
                "insert into audit.dbt_builds (inputs_fingerprint, run_id, built_at, scope) values (?, ?, ?, ?)",
                [UNFINISHED_BUILD, run_id, datetime.now(), scope.describe()],
            )
            con.execute("delete from audit.dbt_build_scope")
            if not scope.full:
                con.executemany(
                    "insert into audit.dbt_build_scope values (?, ?)",
                    [
                        ("scoped", run_id),
                        *(("path", p) for p in scope.observation_paths),
                        *(("source", s) for s in scope.source_ids),
                    ],
                )

    def end_dbt_build(self) -> None:
        """The scope is consumed: dbt run by hand afterwards rebuilds every figure."""
        with self.session() as con:
            con.execute("delete from audit.dbt_build_scope")

    def record_dbt_build(self, fingerprint: str, run_id: str, built_from: LastBuild) -> None:
        with self.session() as con:
            con.execute(
                "update audit.dbt_builds set inputs_fingerprint = ?, built_at = ?, last_load_id = ?, project_fingerprint = ? "
                "where run_id = ? and inputs_fingerprint = ?",
                [fingerprint, datetime.now(), built_from.last_load_id, built_from.project_fingerprint, run_id, UNFINISHED_BUILD],
            )

    # --- what is already there -------------------------------------------------------------

    def latest_records(self, con: duckdb.DuckDBPyConnection, family: Family) -> dict[str, tuple[str, str, str, str | None]]:
        """Path -> (status, content hash, fingerprint, layout) of each path's latest record: what the path serves now."""
        rows = con.execute(
            """
            select file_path, status, file_sha256, catalogue_fingerprint, layout from audit.loads where family = ? and status <> ?
            qualify row_number() over (partition by file_path order by load_id desc) = 1
            """,
            [family.name, HELD],
        ).fetchall()
        return {path: (status, sha, fingerprint, layout) for path, status, sha, fingerprint, layout in rows}

    @staticmethod
    def accepted_layouts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
        """Layout path -> (sha256, text) of its latest accepted version."""
        rows = con.execute(
            """
            select layout_path, sha256, text from audit.layouts
            qualify row_number() over (partition by layout_path order by accepted_at desc) = 1
            """
        ).fetchall()
        return {path: (sha, text) for path, sha, text in rows}

    @staticmethod
    def accept_layout(con: duckdb.DuckDBPyConnection, path: str, sha256: str, text: str, run_id: str) -> None:
        con.execute("insert into audit.layouts values (?, ?, ?, ?, ?)", [path, sha256, text, datetime.now(), run_id])

    @staticmethod
    def labels(con: duckdb.DuckDBPyConnection) -> Labels:
        """The catalogue's names and aliases of indicators and regions, as layouts read row labels."""
        current = "_superseded_by_load is null"
        indicators = con.execute(
            f"select indicator_code, name_zh, aliases, value_type from raw.indicators where {current}"
        ).fetchall()
        regions = con.execute(f"select region_code, name_zh, aliases from raw.regions where {current}").fetchall()
        return Labels.build(indicators, regions)

    def held_versions(self, con: duckdb.DuckDBPyConnection, family: Family) -> dict[str, tuple[str, bool, str | None]]:
        """Path -> (content hash, confirmed, layout) of each version held by the shrink guard since its path's last
        other record: the path still serves the version before it."""
        rows = con.execute(
            """
            with latest as (
                select file_path, status, file_sha256, layout from audit.loads where family = ?
                qualify row_number() over (partition by file_path order by load_id desc) = 1
            )
            select l.file_path, l.file_sha256, exists (
                select 1 from audit.confirmations as c where c.file_path = l.file_path and c.file_sha256 = l.file_sha256
            ), l.layout from latest as l where l.status = ?
            """,
            [family.name, HELD],
        ).fetchall()
        return {path: (sha, confirmed, layout) for path, sha, confirmed, layout in rows}

    def figure_change_counts(self, con: duckdb.DuckDBPyConnection, family: Family, run_id: str) -> dict[str, int]:
        """Figures of the family this run withdrew and changed (a held version's would-be changes not counted)."""
        rows = con.execute(
            "select change, count(*) from audit.figure_changes as f join audit.loads as l using (load_id) "
            "where l.run_id = ? and f.family = ? and l.status <> ? group by change",
            [run_id, family.name, HELD],
        ).fetchall()
        return {"withdrawn": 0, "changed": 0, **dict(rows)}

    def is_confirmed(self, con: duckdb.DuckDBPyConnection, file_path: str, sha256: str) -> bool:
        return bool(
            con.execute(
                "select count(*) from audit.confirmations where file_path = ? and file_sha256 = ?", [file_path, sha256]
            ).fetchone()[0]
        )

    def confirm(self, file_path: str, sha256: str, by: str | None, note: str | None) -> None:
        """A steward accepts the held version `sha256` of `file_path`: the next refresh serves it."""
        with self.session() as con:
            con.execute(_AUDIT_DDL)
            con.execute("insert into audit.confirmations values (?, ?, ?, ?, ?)", [file_path, sha256, datetime.now(), by, note])

    def figure_diff(self, con: duckdb.DuckDBPyConnection, family: Family, file_path: str, frame: pd.DataFrame) -> FigureDiff:
        """What committing `frame` as the new version of `file_path` would withdraw and change."""
        con.register("new_version", frame)
        try:
            # fetchall: DuckDB 2 refuses unregister on a connection with a result not fetched to its end
            served = con.execute(
                f'select count(*) from raw."{family.name}" where _file_path = ? and _superseded_by_load is null', [file_path]
            ).fetchall()[0][0]
            withdrawn, changed = con.execute(
                f"select count(*) filter (change = 'withdrawn'), count(*) filter (change = 'changed') "
                f"from ({_figure_diff_sql(family, 'new_version')})",
                {"path": file_path},
            ).fetchall()[0]
        finally:
            con.unregister("new_version")
        return FigureDiff(served, withdrawn, changed)

    @staticmethod
    def served(latest: dict[str, tuple[str, str, str, str | None]]) -> dict[str, str]:
        """Path -> content hash of every file whose rows are served now (its latest record is a load)."""
        return {path: sha for path, (status, sha, *_) in latest.items() if status == "loaded"}

    def served_files(self, con: duckdb.DuckDBPyConnection, family: Family) -> dict[str, str]:
        return self.served(self.latest_records(con, family))

    def latest_issues(self, con: duckdb.DuckDBPyConnection, family: Family, paths: list[str]) -> dict[str, list[Issue]]:
        """The reasons of each path's latest quarantine (a file still refused: its reasons still stand)."""
        if not paths:
            return {}
        rows = con.execute(
            """
            with latest as (
                select file_path, max(load_id) as load_id from audit.loads
                where family = ? and status = 'quarantined' and list_contains(?, file_path) group by file_path
            )
            select i.file_path, i.row_number, i.column_name, i.rule, i.value, i.message
            from audit.load_issues as i join latest using (load_id)
            order by i.file_path, i.row_number nulls first, i.column_name
            """,
            [family.name, paths],
        ).fetchall()
        out: dict[str, list[Issue]] = {}
        for path, *fields in rows:
            out.setdefault(path, []).append(Issue(path, *fields))
        return out

    def facts_state(self, con: duckdb.DuckDBPyConnection) -> str:
        """Changes whenever the served facts change: a refused catalogue edit is tried again after that."""
        row = con.execute(
            "select max(load_id) from audit.loads where list_contains(?, family)", [[f.name for f in FACT_FAMILIES]]
        ).fetchone()
        return f"facts:{row[0]}"

    def catalogue_fingerprint(self, con: duckdb.DuckDBPyConnection) -> str:
        rows = con.execute(
            "select family, max(load_id) from audit.loads where status = 'loaded' and family in ('regions', 'indicators', 'sources') group by family order by family"
        ).fetchall()
        return ";".join(f"{family}:{load_id}" for family, load_id in rows)

    def catalogue(self, con: duckdb.DuckDBPyConnection) -> Catalogue:
        current = "_superseded_by_load is null"
        indicators = con.execute(
            f"select indicator_code, unit, value_type, range_min, range_max, earliest_year from raw.indicators where {current}"
        ).df()
        regions = tuple(r[0] for r in con.execute(f"select region_code from raw.regions where {current}").fetchall())
        sources = con.execute(f"select source_id, published_on, date_precision from raw.sources where {current}").df()
        return Catalogue(indicators, regions, tuple(sources["source_id"]), sources)

    def facts_in_use(self, con: duckdb.DuckDBPyConnection, files: dict[str, list[str]]) -> pd.DataFrame:
        """What the served rows of the given fact files use, one row per (family, indicator, region, source, unit,
        value type): how many rows, value and year bounds, and the first few places (file and line)."""
        con.register(
            "in_use_files",
            pd.DataFrame(
                [(family, path) for family, paths in files.items() for path in paths], columns=["family", "file_path"]
            ).astype(str),
        )
        frame = con.execute(
            """
            with used as (
                select 'observations' as family, _file_path, _row, indicator_code, region_code, source_id, unit,
                       value_type, value, year(period_start) as year
                from raw.observations where _superseded_by_load is null
                union all
                select 'targets', _file_path, _row, indicator_code, region_code, source_id, unit,
                       null, target_value, target_year
                from raw.targets where _superseded_by_load is null
            )
            select u.family, indicator_code, region_code, source_id, unit, value_type,
                   count(*) as n, min(value) as lo, max(value) as hi, min(year) as first_year,
                   list(u._file_path || ' line ' || u._row order by u._file_path, u._row)[1:3] as places
            from used as u
            join in_use_files as f on f.family = u.family and f.file_path = u._file_path
            group by all
            """
        ).df()
        con.unregister("in_use_files")
        return frame

    def served_keys(self, con: duckdb.DuckDBPyConnection, family: Family, paths: list[str]) -> dict[str, pd.DataFrame]:
        """The key columns and line numbers of the rows the given files serve now, per file."""
        if not paths:
            return {}
        columns = ", ".join(f'"{c}"' for c in family.key)
        frame = con.execute(
            f'select _file_path, {columns}, _row from raw."{family.name}" '
            "where _superseded_by_load is null and list_contains(?, _file_path)",
            [paths],
        ).df()
        return {path: group.drop(columns="_file_path") for path, group in frame.groupby("_file_path")}

    # --- writing one file's outcome, always in one transaction -----------------------------

    def _insert_load(
        self, con, load_id: int, record: LoadRecord, status: str, rows_loaded: int, issue_count: int, note: str | None = None
    ) -> None:
        finished = datetime.now()
        con.execute(
            """
            insert into audit.loads (
                load_id, run_id, family, file_path, file_sha256, file_bytes, encoding, status, rows_read,
                rows_loaded, issue_count, catalogue_fingerprint, started_at, finished_at, duration_ms, note, layout
            ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                load_id,
                record.run_id,
                record.family.name,
                record.file_path,
                record.sha256,
                record.file_bytes,
                record.encoding,
                status,
                record.rows_read,
                rows_loaded,
                issue_count,
                record.catalogue_fingerprint,
                record.started_at,
                finished,
                (finished - record.started_at).total_seconds() * 1000,
                note,
                record.layout,
            ],
        )

    @staticmethod
    def _record_figure_changes(con, family: Family, file_path: str, load_id: int, new_rows: str | None) -> int:
        """Write what `new_rows` (None: nothing, the path stops serving) does to the path's served figures."""
        if family not in FACT_FAMILIES:
            return 0
        rows = new_rows or f'(select * from raw."{family.name}" where false)'
        return con.execute(
            f"insert into audit.figure_changes select $load_id, $family, $path, * from ({_figure_diff_sql(family, rows)})",
            {"load_id": load_id, "family": family.name, "path": file_path},
        ).fetchall()[0][0]

    @classmethod
    def _retire(cls, con, family: Family, file_path: str, load_id: int, withdrawn_reason: str | None = None) -> int:
        """Stop serving the rows a path serves now; they stay in raw.* (history) marked with the retiring load,
        and, when nothing replaces them (file gone or refused), with when and why they were withdrawn."""
        if withdrawn_reason:
            cls._record_figure_changes(con, family, file_path, load_id, None)
        return con.execute(
            f'update raw."{family.name}" set _superseded_by_load = ?, _withdrawn_reason = ?, _withdrawn_at = ? '
            "where _file_path = ? and _superseded_by_load is null",
            [load_id, withdrawn_reason, datetime.now() if withdrawn_reason else None, file_path],
        ).fetchone()[0]

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
            # fetched to the end: DuckDB 2 refuses other work (register) on a connection with an unfinished result
            yield con.execute("select nextval('audit.load_id_seq')").fetchall()[0][0]
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise

    def commit_load(self, con, record: LoadRecord, frame: pd.DataFrame, results: Sequence[dict[str, Any]]) -> int:
        """Insert the validated rows, retire the file's previous version, record the load: all or nothing."""
        stored = [name for name, _ in record.family.stored_columns()]
        batch = frame[[*stored, ROW_COLUMN]].copy()
        with self._load_transaction(con) as load_id:
            batch.insert(0, "_load_id", load_id)
            batch.insert(1, "_file_path", record.file_path)
            table = f'raw."{record.family.name}"'
            con.register("raw_batch", batch)
            self._record_figure_changes(con, record.family, record.file_path, load_id, "raw_batch")
            self._retire(con, record.family, record.file_path, load_id)
            con.execute(f"insert into {table} by name select * from raw_batch")
            con.unregister("raw_batch")
            self._insert_load(con, load_id, record, "loaded", len(batch), 0)
            self._insert_results(con, load_id, record, results)
        return load_id

    def record_quarantine(self, con, record: LoadRecord, issues: Sequence[Issue], results: Sequence[dict[str, Any]]) -> int:
        """Record why a file was refused; nothing of it reaches raw.*.

        The path's earlier version stops being served for facts (what raw/ holds now is refused, and a
        refresh from scratch would serve nothing of it either); a refused catalogue leaves the previous
        catalogue in force, since every fact is validated against it.
        """
        with self._load_transaction(con) as load_id:
            if not record.family.catalogue:
                self._retire(
                    con, record.family, record.file_path, load_id, "the file's new version was refused (see the quality report)"
                )
            self._insert_load(con, load_id, record, "quarantined", 0, len(issues))
            con.executemany(
                "insert into audit.load_issues (load_id, file_path, row_number, column_name, rule, value, message) values (?, ?, ?, ?, ?, ?, ?)",
                [[load_id, record.file_path, i.row, i.column, i.rule, i.value, i.message] for i in issues],
            )
            self._insert_results(con, load_id, record, results)
        return load_id

    def record_hold(self, con, record: LoadRecord, frame: pd.DataFrame, diff: FigureDiff, share: float) -> int:
        """The shrink guard holds a new version: nothing of it is served, the version before it still is; what it
        would withdraw and change is recorded for the steward, who confirms it (or fixes the file)."""
        message = diff.hold_message(share, record.file_path)
        with self._load_transaction(con) as load_id:
            self._insert_load(con, load_id, record, HELD, 0, 1, note=message)
            con.execute(
                "insert into audit.load_issues (load_id, file_path, rule, message) values (?, ?, 'shrink_guard', ?)",
                [load_id, record.file_path, message],
            )
            con.register("held_version", frame)
            self._record_figure_changes(con, record.family, record.file_path, load_id, "held_version")
            con.unregister("held_version")
        return load_id

    def record_withdrawal(self, con, record: LoadRecord, reason: str) -> int:
        """A served file is gone from raw/: its rows stop being served, and stay in history with the reason."""
        with self._load_transaction(con) as load_id:
            retired = self._retire(con, record.family, record.file_path, load_id, "file no longer in the raw folder")
            self._insert_load(con, load_id, record, "withdrawn", 0, 0, note=f"{reason} ({retired} rows no longer served)")
        return load_id

    def record_move(self, con, record: LoadRecord, old_path: str) -> int:
        """Same content under a new path: the same publication. Its rows follow the file; no new vintage."""
        with self._load_transaction(con) as load_id:
            moved = con.execute(
                f'update raw."{record.family.name}" set _file_path = ? where _file_path = ? and _superseded_by_load is null',
                [record.file_path, old_path],
            ).fetchone()[0]
            self._insert_load(
                con, load_id, replace(record, file_path=old_path), "moved", 0, 0, note=f"moved to {record.file_path}"
            )
            arrival = con.execute("select nextval('audit.load_id_seq')").fetchone()[0]
            self._insert_load(con, arrival, record, "loaded", moved, 0, note=f"moved from {old_path}")
        return load_id
