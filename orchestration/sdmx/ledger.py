"""What was served, and when: the history of every SDMX row and the versions of every structure, in the warehouse.

Each publication compares the rows of each dataflow with the open rows of its history (audit.sdmx_history_<flow>):
an unchanged row stays open, a changed or vanished one is closed at the publication's time, a new or changed one
is opened at it. So the rows open at a time T are exactly what the release current at T served (--as-of T), and
two such states compared give the insertions, revisions and withdrawals between two times (--updated-after T).
Nothing is ever deleted from a history. The tables are written by the publication only (its own record of what it
served) and copied into every release's sdmx/history/ folder, from where `make restore` takes them back.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb

from orchestration.sdmx.model import Flow
from orchestration.sdmx.versions import Recorded, next_version
from orchestration.store.sql_text import quote_identifier

STRUCTURES_TABLE = "audit.sdmx_structures"


class SdmxDataError(RuntimeError):
    """A dataflow's rows cannot be served as SDMX: a key component without a value, or two rows with one key."""


def history_table(flow: Flow) -> str:
    return f"audit.sdmx_history_{flow.id.lower()}"


def ensure_ledger(con: duckdb.DuckDBPyConnection, flows: tuple[Flow, ...]) -> None:
    """Create the ledger's tables, and add the columns a new version of a structure brought."""
    con.execute("create schema if not exists audit")
    con.execute(
        f"create table if not exists {STRUCTURES_TABLE} (artefact varchar, version varchar, fingerprint varchar, "
        "own varchar, items varchar, recorded_at timestamptz, release_id varchar)"
    )
    present = set(con.execute("select table_name, column_name from duckdb_columns() where schema_name = 'audit'").fetchall())
    for flow in flows:
        table = history_table(flow)
        con.execute(
            f"create table if not exists {table} (obs_key varchar, valid_from timestamptz, "
            "valid_to timestamptz, release_from varchar, release_to varchar)"
        )
        for column in flow.columns:
            if (table.split(".")[1], column) not in present:
                con.execute(f"alter table {table} add column {quote_identifier(column)} varchar")


def latest_versions(con: duckdb.DuckDBPyConnection) -> dict[str, Recorded]:
    """The latest recorded version of every artefact, with its content."""
    rows = con.execute(
        f"select artefact, version, items, own from {STRUCTURES_TABLE} "
        "qualify row_number() over (partition by artefact order by recorded_at desc, version desc) = 1"
    ).fetchall()
    return {artefact: Recorded(version, json.loads(items), own) for artefact, version, items, own in rows}


def resolve_version(
    con: duckdb.DuckDBPyConnection,
    latest: dict[str, Recorded],
    artefact: str,
    items: dict[str, str],
    own: str,
    at: datetime,
    release_id: str,
) -> str:
    """The artefact's version for this content (`latest`: latest_versions()): the recorded one when unchanged,
    else a new one, recorded now."""
    previous = latest.get(artefact)
    version = next_version(previous, items, own)
    if previous is None or version != previous.version:
        recorded = Recorded(version, items, own)
        con.execute(
            f"insert into {STRUCTURES_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
            [artefact, version, recorded.fingerprint, own, json.dumps(items, ensure_ascii=False), at, release_id],
        )
    return version


def version_at(
    con: duckdb.DuckDBPyConnection, artefact: str, at: datetime | None, structures: str = STRUCTURES_TABLE
) -> str | None:
    """The version of an artefact in force at a time (the latest recorded by then); None before its first."""
    row = con.execute(
        f"select version from {structures} where artefact = ? and (? is null or recorded_at <= ?) "
        "order by recorded_at desc, version desc limit 1",
        [artefact, at, at],
    ).fetchone()
    return row[0] if row else None


def _current_rows(flow: Flow) -> str:
    """The flow's rows now, as text, with their key."""
    columns = ", ".join(f"{c.sql} as {quote_identifier(c.id)}" for c in flow.components)
    key = " || '.' || ".join(quote_identifier(c.id) for c in flow.dimensions)
    return f"select {key} as obs_key, * from (select {columns} from {flow.source})"


def same_row(flow: Flow, a: str, b: str) -> str:
    """SQL: rows `a` and `b` of one key have the same text in every column (a NULL is not an empty text)."""
    return " and ".join(f"{a}.{quote_identifier(c)} is not distinct from {b}.{quote_identifier(c)}" for c in flow.columns)


def record(con: duckdb.DuckDBPyConnection, flow: Flow, at: datetime, release_id: str) -> dict[str, int]:
    """Bring the flow's history up to the marts as this release serves them; counts of rows opened and closed."""
    table = history_table(flow)
    con.execute(f"create or replace temporary view sdmx_now as {_current_rows(flow)}")
    _refuse_bad_keys(con, flow)
    names = ", ".join(quote_identifier(c) for c in flow.columns)
    # The open rows that are not, to the last character, a row of now: a set difference (EXCEPT, where NULLs are not
    # distinct, as in same_row), hashed once per side. A correlated NOT EXISTS comparing every column took 60 s at
    # 10^7 rows. An open row's key is unique (_refuse_bad_keys at every publication), so the key names the row.
    closed = con.execute(
        f"update {table} as h set valid_to = ?, release_to = ? where h.valid_to is null and h.obs_key in "
        f"(select obs_key from (select obs_key, {names} from {table} where valid_to is null "
        f"except select obs_key, {names} from sdmx_now))",
        [at, release_id],
    ).fetchone()[0]
    opened = con.execute(
        f"insert into {table} (obs_key, valid_from, valid_to, release_from, release_to, {names}) "
        f"select n.obs_key, ?, null, ?, null, {', '.join('n.' + quote_identifier(c) for c in flow.columns)} "
        f"from sdmx_now as n where not exists (select 1 from {table} as h where h.valid_to is null and h.obs_key = n.obs_key)",
        [at, release_id],
    ).fetchone()[0]
    con.execute("drop view sdmx_now")
    return {"opened": opened, "closed": closed}


def not_before_last(con: duckdb.DuckDBPyConnection, flows: tuple[Flow, ...], at: datetime) -> datetime:
    """`at`, or just after the latest time any history recorded when the clock was set back since: the histories'
    times only go forward, so no row is closed before it was opened."""
    latest = " union all ".join(
        f"select max(greatest(valid_from, coalesce(valid_to, valid_from))) as t from {history_table(f)}" for f in flows
    )
    last = con.execute(f"select max(t) from ({latest})").fetchone()[0]
    return max(at, last + timedelta(microseconds=1)) if last is not None else at


def versions_recorded(con: duckdb.DuckDBPyConnection, release_id: str) -> int:
    """How many artefacts got a new version in this release."""
    return con.execute(f"select count(*) from {STRUCTURES_TABLE} where release_id = ?", [release_id]).fetchone()[0]


def open_rows(con: duckdb.DuckDBPyConnection, flow: Flow) -> int:
    """The rows of the flow served now."""
    return con.execute(f"select count(*) from {history_table(flow)} where valid_to is null").fetchone()[0]


def _refuse_bad_keys(con: duckdb.DuckDBPyConnection, flow: Flow) -> None:
    """One pass: a key component without a value, or two rows with one key, stops the publication."""
    blanks = ", ".join(f"count(*) filter (where {quote_identifier(c.id)} is null)" for c in flow.dimensions)
    *blank, rows, keys = con.execute(f"select {blanks}, count(*), count(distinct obs_key) from sdmx_now").fetchone()
    for component, n in zip(flow.dimensions, blank, strict=True):
        if n:
            raise SdmxDataError(f"{flow.id}: {n} row(s) have no {component.id} ({component.sql}); a key component needs a value")
    if rows != keys:
        twice = con.execute("select obs_key, count(*) from sdmx_now group by 1 having count(*) > 1 order by 1 limit 5").fetchall()
        shown = "; ".join(f"{key} ×{n}" for key, n in twice)
        raise SdmxDataError(f"{flow.id}: two rows share one SDMX key ({shown}): its dimensions do not identify a row")


def state_at(history: str, at: str) -> str:
    """SQL of the rows served at a time (`at`: an SQL timestamp expression), over a history table or read_parquet(...)."""
    return f"select * from {history} where valid_from <= {at} and (valid_to is null or valid_to > {at})"
