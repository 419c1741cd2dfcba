"""Write SDMX files: the structure message, one SDMX-CSV 2.0 file per dataflow, the history they come from.

A publication (publish_release) records each flow's rows in the ledger, then writes the state the release serves;
`make sdmx` (commands/sdmx.py) writes any earlier state (--as-of) or the changes since a time (--updated-after)
from the history a release carries. Both write the rows by one DuckDB COPY per file: the SDMX-CSV layout is
STRUCTURE, STRUCTURE_ID, ACTION, then the components in the structure's order; an empty cell is a value not given.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.sdmx import check, ledger, vocabularies
from orchestration.sdmx import structures as structure_message
from orchestration.sdmx.flows import FLOWS, UNITS_TABLE
from orchestration.sdmx.model import Flow
from orchestration.store.sql_text import quote_identifier, string_literal

SDMX_FOLDER = "sdmx"
STRUCTURE_FILE = "structure.xml"
HISTORY_FOLDER = "history"
STRUCTURES_HISTORY = "structures.parquet"
LABEL_LANGUAGES = ("en", "zh")
# The marts the structures and the flows read (structures.catalogue_codelists, flows.FLOWS).
MARTS_READ = {
    "dim_breakdown",
    "dim_indicator",
    "dim_region",
    "dim_source",
    "fct_observation",
    "fct_missing_figure",
    "fct_target",
    "mart_indicator_progress",
}
INFORMATION = "'I'"  # the ACTION of a full state: information, no change asked of the reader


def data_file(flow: Flow) -> str:
    return f"{flow.dataflow_id}.csv"


def history_file(flow: Flow) -> str:
    return f"{flow.id}.parquet"


def _time_sql(at: datetime | None) -> str:
    return f"timestamptz {string_literal(at.isoformat())}" if at else "now()"


def fill_units(con: duckdb.DuckDBPyConnection) -> None:
    """The temporary table the flows join for UNIT_MEASURE and UNIT_MULT: every catalogue unit's code."""
    units = [u for (u,) in con.execute(structure_message.catalogue_units_sql()).fetchall()]
    con.execute(f"create or replace temporary table {UNITS_TABLE} (unit varchar, code varchar, mult integer)")
    if units:
        con.executemany(f"insert into {UNITS_TABLE} values (?, ?, ?)", [(u, *vocabularies.unit_measure(u)) for u in units])


@dataclass(frozen=True)
class Written:
    flow: str
    path: Path
    rows: int


def _select(flow: Flow, structure_id: str, action_sql: str, labels: bool, names: dict[str, str]) -> str:
    """The SDMX-CSV columns of rows `r` (a history's columns); with labels, `ID: name` headers and coded cells."""
    cells = []
    for c in flow.components:
        value = f"r.{quote_identifier(c.id)}"
        header = f"{c.id}: {names[c.id]}" if labels else c.id
        if labels and c.codelist:
            label = f"(select l.label from sdmx_labels as l where l.codelist = {string_literal(c.codelist)} and l.code = {value})"
            value = f"case when {value} is null then null else {value} || coalesce(': ' || {label}, '') end"
        cells.append(f"{value} as {quote_identifier(header)}")
    return f"'dataflow' as STRUCTURE, {string_literal(structure_id)} as STRUCTURE_ID, {action_sql} as ACTION, {', '.join(cells)}"


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return con.execute(
        f"copy ({query}) to {string_literal(str(path))} (format csv, header true, delimiter ',', quote '\"')"
    ).fetchone()[0]


def write_state(
    con: duckdb.DuckDBPyConnection,
    flow: Flow,
    history: str,
    structure_id: str,
    at: datetime | None,
    path: Path,
    labels: dict[str, str] | None = None,
) -> Written:
    """The rows served at `at` (None: now) as an SDMX-CSV file, each with ACTION I (information)."""
    rows = ledger.state_at(history, _time_sql(at))
    query = f"select {_select(flow, structure_id, INFORMATION, labels is not None, labels or {})} from ({rows}) as r order by r.obs_key"
    return Written(flow.id, path, _copy(con, query, path))


def write_changes(
    con: duckdb.DuckDBPyConnection,
    flow: Flow,
    history: str,
    structure_id: str,
    since: datetime,
    until: datetime | None,
    path: Path,
    labels: dict[str, str] | None = None,
) -> Written:
    """What changed between two times as SDMX actions: A a row that was not served at `since`, R a row served then
    with other values, D a row served then and no more (its key only)."""
    before = ledger.state_at(history, _time_sql(since))
    after = ledger.state_at(history, _time_sql(until))
    keys = {c.id for c in flow.dimensions}
    columns = ", ".join(
        f"{'coalesce(a.' + quote_identifier(c) + ', b.' + quote_identifier(c) + ')' if c in keys else 'a.' + quote_identifier(c)} "
        f"as {quote_identifier(c)}"
        for c in flow.columns
    )
    changed = (
        f"select case when b.obs_key is null then 'A' when a.obs_key is null then 'D' else 'R' end as sdmx_action, "
        f"coalesce(a.obs_key, b.obs_key) as obs_key, {columns} "
        f"from ({before}) as b full outer join ({after}) as a on a.obs_key = b.obs_key "
        f"where a.obs_key is null or b.obs_key is null or not ({ledger.same_row(flow, 'a', 'b')})"
    )
    query = f"select {_select(flow, structure_id, 'r.sdmx_action', labels is not None, labels or {})} from ({changed}) as r order by r.obs_key"
    return Written(flow.id, path, _copy(con, query, path))


def export_history(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Copy the ledger (every row ever served, with its valid-from and valid-to times, and every structure version)
    into a release: what `make sdmx` reads and `make restore` takes back."""
    folder.mkdir(parents=True, exist_ok=True)
    for flow in FLOWS:
        target = string_literal(str(folder / history_file(flow)))
        con.execute(
            f"copy (select * from {ledger.history_table(flow)} order by obs_key, valid_from) to {target} (format parquet, compression zstd)"
        )
    target = string_literal(str(folder / STRUCTURES_HISTORY))
    con.execute(
        f"copy (select * from {ledger.STRUCTURES_TABLE} order by artefact, recorded_at) to {target} (format parquet, compression zstd)"
    )


def publish_release(
    con: duckdb.DuckDBPyConnection, folder: Path, at: datetime, release_id: str, reusable: Path | None = None
) -> dict[str, int]:
    """In the publication's transaction: record what this release serves, then write its SDMX folder. Row counts
    per dataflow; none (and no folder) for a warehouse whose marts are not the indicator marts the flows read.

    `reusable` is the SDMX folder of the release served now, its files checked against their checksums: when
    nothing was opened or closed in any history and no structure changed version, its data and history files are
    this release's too (linked, not written again); the structure message is always written anew."""
    present = {t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    if not present >= MARTS_READ:
        return {}
    ledger.ensure_ledger(con, FLOWS)
    fill_units(con)
    at = ledger.not_before_last(con, FLOWS, at)
    resolved = structure_message.resolve(con, at, release_id)
    changed = [ledger.record(con, flow, at, release_id) for flow in FLOWS]
    folder.mkdir(parents=True, exist_ok=True)
    structure_message.write_structure_message(resolved, folder / STRUCTURE_FILE, at, f"QZ-{release_id}")
    files = [data_file(flow) for flow in FLOWS] + [f"{HISTORY_FOLDER}/{history_file(flow)}" for flow in FLOWS]
    files.append(f"{HISTORY_FOLDER}/{STRUCTURES_HISTORY}")
    same = not any(c["opened"] or c["closed"] for c in changed) and not ledger.versions_recorded(con, release_id)
    if same and reusable is not None and all((reusable / name).is_file() for name in files):
        for name in files:
            _link(reusable / name, folder / name)
        return {flow.dataflow_id: ledger.open_rows(con, flow) for flow in FLOWS}
    counts = {}
    for flow in FLOWS:
        written = write_state(con, flow, ledger.history_table(flow), resolved.structure_id(flow), at, folder / data_file(flow))
        counts[flow.dataflow_id] = written.rows
    export_history(con, folder / HISTORY_FOLDER)
    problems = check.folder_problems(folder, STRUCTURE_FILE, {flow.id: data_file(flow) for flow in FLOWS})
    if problems:
        raise check.SdmxCheckError("the SDMX files of this release fail their checks: " + "; ".join(problems))
    return counts


def _link(source: Path, target: Path) -> None:
    """The same bytes under a new name: a hard link (releases are never written after they are made), or a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def copy_structure(release_sdmx: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(release_sdmx / STRUCTURE_FILE, out / STRUCTURE_FILE)


def restore_history(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Take a release's copy of the ledger back into a rebuilt warehouse (`make restore`); rows per table."""
    ledger.ensure_ledger(con, FLOWS)
    tables = {ledger.history_table(flow): folder / history_file(flow) for flow in FLOWS}
    tables[ledger.STRUCTURES_TABLE] = folder / STRUCTURES_HISTORY
    rows = {}
    for table, source in tables.items():
        if source.exists():
            con.execute(f"insert into {table} by name select * from read_parquet(?)", [source.as_posix()])
        rows[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
    return rows
