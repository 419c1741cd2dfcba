"""What the warehouse already holds, as the ingest asks it: what each path serves, held and confirmed versions,
accepted layouts, the current catalogue, the figures a new version would change. Reads, but for a steward's
confirmation and an accepted layout. A part of Warehouse (warehouse.py), which holds the connection."""

from __future__ import annotations

import hashlib
from datetime import datetime

import duckdb
import pandas as pd

from orchestration.domain.catalogue import Catalogue
from orchestration.domain.families import CATALOGUE_FAMILIES, FACT_FAMILIES, Family
from orchestration.domain.issues import Issue
from orchestration.store.ddl import AUDIT_DDL, HELD, figure_diff_sql
from orchestration.store.load_outcomes import FigureDiff
from orchestration.store.part import WarehousePart


def family_folder(family: Family) -> str:
    """The folder a family's files are in, as a steward names it: observations/."""
    return family.pattern.split("/")[0] + "/"


def emptying_key(gone: dict[str, str]) -> str:
    """What a steward confirms when every file a family served is gone at once: exactly these files at these versions
    (audit.confirmations.file_sha256 beside the folder). Another set gone later needs its own confirmation."""
    listing = "\n".join(f"{path} {sha}" for path, sha in sorted(gone.items()))
    return "withdraw-all:" + hashlib.sha256(listing.encode("utf-8")).hexdigest()[:40]


class IngestState(WarehousePart):
    def latest_records(self, con: duckdb.DuckDBPyConnection, family: Family) -> dict[str, tuple[str, str, str, str | None]]:
        """Path -> (status, content hash, fingerprint, layout) of each path's latest record: what the path serves now."""
        rows = con.execute(
            """
            select file_path, status, file_sha256, catalogue_fingerprint, layout from audit.loads
            where family = ? and status <> ? and not coalesce(keeps_served, false)
            qualify row_number() over (partition by file_path order by load_id desc) = 1
            """,
            [family.name, HELD],
        ).fetchall()
        return {path: (status, sha, fingerprint, layout) for path, status, sha, fingerprint, layout in rows}

    @staticmethod
    def kept_refusals(con: duckdb.DuckDBPyConnection, family: Family) -> dict[str, tuple[str, str, str | None]]:
        """Path -> (content hash, fingerprint, layout) of a refused reading that left the path's last accepted reading
        served, when it is the path's latest record: unchanged since, it is not read again."""
        rows = con.execute(
            """
            select file_path, file_sha256, catalogue_fingerprint, layout from audit.loads where family = ?
            qualify row_number() over (partition by file_path order by load_id desc) = 1 and coalesce(keeps_served, false)
            """,
            [family.name],
        ).fetchall()
        return {path: (sha, fingerprint, layout) for path, sha, fingerprint, layout in rows}

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
    def label_rows(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """The catalogue's names and aliases: (indicator_code, name_zh, aliases, value_type), (region_code, name_zh,
        aliases) and (dimension, code, name_zh, aliases) rows, from which table_layout.Labels.build makes what
        layouts read row labels and headers with."""
        current = "_superseded_by_load is null"
        indicators = con.execute(
            f"select indicator_code, name_zh, aliases, value_type from raw.indicators where {current}"
        ).fetchall()
        regions = con.execute(f"select region_code, name_zh, aliases from raw.regions where {current}").fetchall()
        breakdowns = con.execute(f"select dimension, code, name_zh, aliases from raw.breakdowns where {current}").fetchall()
        return indicators, regions, breakdowns

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

    @staticmethod
    def confirmations(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
        """(file or folder, content hash or key) of every confirmation a steward gave (make confirm)."""
        return set(con.execute("select distinct file_path, file_sha256 from audit.confirmations").fetchall())

    def confirm(self, file_path: str, sha256: str, by: str | None, note: str | None) -> None:
        """A steward accepts the held version `sha256` of `file_path`: the next refresh serves it."""
        with self.session() as con:
            con.execute(AUDIT_DDL)
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
                f"from ({figure_diff_sql(family, 'new_version')})",
                {"path": file_path},
            ).fetchall()[0]
        finally:
            con.unregister("new_version")
        return FigureDiff(served, withdrawn, changed)

    def served_files(self, con: duckdb.DuckDBPyConnection, family: Family) -> dict[str, str]:
        """Path -> content hash of every file whose rows are served now (its latest record is a load)."""
        latest = self.latest_records(con, family)
        return {path: sha for path, (status, sha, *_) in latest.items() if status == "loaded"}

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
            "select family, max(load_id) from audit.loads where status = 'loaded' and list_contains(?, family) group by family order by family",
            [[f.name for f in CATALOGUE_FAMILIES]],
        ).fetchall()
        return ";".join(f"{family}:{load_id}" for family, load_id in rows)

    def catalogue(self, con: duckdb.DuckDBPyConnection) -> Catalogue:
        current = "_superseded_by_load is null"
        indicators = con.execute(
            "select indicator_code, unit, value_type, range_min, range_max, earliest_year, range_by_level, breakdown_of, "
            "breakdown "
            f"from raw.indicators where {current}"
        ).df()
        regions = dict(con.execute(f"select region_code, level from raw.regions where {current}").fetchall())
        sources = con.execute(f"select source_id, published_on, date_precision, release_at from raw.sources where {current}").df()
        breakdowns: dict[str, tuple[str, ...]] = {}
        for dim, code in con.execute(f"select dimension, code from raw.breakdowns where {current} order by all").fetchall():
            breakdowns[dim] = (*breakdowns.get(dim, ()), code)
        return Catalogue(indicators, tuple(regions), tuple(sources["source_id"]), sources, regions, breakdowns)

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
