"""The warehouse's own tables: the audit, quality and raw schemas as DDL, added to by later versions, never cut.

A raw table per family (families.py) keeps every version of every row: `_superseded_by_load` and the withdrawal
columns say which rows are served.
"""

from __future__ import annotations

import duckdb

from orchestration.domain.families import ALL_FAMILIES, Family
from orchestration.store.sql_text import string_literal

# The audit.loads status of a version the shrink guard held. It serves nothing (the version before it still is), so
# it never counts as what its path serves (ingest_state.latest_records skips it; held_versions lists it).
HELD = "held"
LOAD_COLUMNS = ("_load_id", "_file_path", "_row", "_superseded_by_load", "_withdrawn_at", "_withdrawn_reason")
# Added after the first release: created with every raw table, and added to older warehouses by ensure_schema.
WITHDRAWAL_COLUMNS = (("_withdrawn_at", "timestamp"), ("_withdrawn_reason", "varchar"))

AUDIT_DDL = """
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
-- The incremental protocol: what the dbt build under way recomputes (dbt_project/macros/changed_figures.sql reads
-- it). Rows only during a scoped build: one with the run id alone, then one per changed observation file and one
-- per changed source. Empty: every figure is rebuilt. Columns, not kinds of row: a name misspelt on either side
-- fails the build instead of scoping it to nothing.
create table if not exists audit.dbt_build_scope (
    run_id varchar not null,
    observation_path varchar,
    source_id varchar
);
-- The instant the build under way reads release times against (one row while it runs; dbt_project/macros/portable.sql
-- release_clock): a figure whose source's release time is later is under embargo in this build.
create table if not exists audit.release_clock (as_of timestamp not null);
-- A steward's confirmation that a confidential figure the differencing check found derivable may stay so
-- (make confirm-disclosure): for this figure and value only.
create table if not exists audit.disclosure_confirmations (
    indicator_code varchar not null,
    region_code varchar not null,
    period_label varchar not null,
    breakdown varchar not null,
    value double,
    confirmed_at timestamp not null,
    confirmed_by varchar,
    note varchar
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


def raw_ddl(family: Family) -> str:
    columns = [f'"{name}" {sql_type}' for name, sql_type in family.stored_columns()]
    columns += ['"_load_id" bigint not null', '"_file_path" varchar not null', '"_row" integer', '"_superseded_by_load" bigint']
    columns += [f'"{name}" {sql_type}' for name, sql_type in WITHDRAWAL_COLUMNS]
    return f'create table if not exists raw."{family.name}" (\n    ' + ",\n    ".join(columns) + "\n);"


def figure_sql(family: Family) -> tuple[str, str]:
    """(the figure's key as text, its value column) of a fact family."""
    key = " || ' · ' || ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in family.key)
    value = next(c.name for c in family.columns if c.kind in ("quantity", "number"))
    return key, value


def figure_diff_sql(family: Family, new_rows: str) -> str:
    """Per figure, the rows a path serves now (parameter $path) against `new_rows`: withdrawn (no longer there) or
    changed (another value; the text as published is kept beside it). Unchanged and added figures are not listed."""
    key, value = figure_sql(family)
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


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; a warehouse made by an older version gains the columns added since (never loses any)."""
    scope = {
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_name = 'dbt_build_scope'"
        ).fetchall()
    }
    if "kind" in scope:  # the (kind, value) rows of earlier versions: the table holds nothing between builds
        con.execute("drop table audit.dbt_build_scope")
    con.execute(AUDIT_DDL)
    con.execute("alter table audit.loads add column if not exists encoding varchar")
    con.execute("alter table audit.loads add column if not exists note varchar")
    con.execute("alter table audit.loads add column if not exists layout varchar")
    # true on a refused reading of a table that left the path's last accepted reading served (load_outcomes.py)
    con.execute("alter table audit.loads add column if not exists keeps_served boolean")
    con.execute("alter table audit.figure_changes add column if not exists source_cell varchar")
    for column, sql_type in (
        ("last_load_id", "bigint"),
        ("project_fingerprint", "varchar"),
        ("scope", "varchar"),
        ("release_clock", "timestamp"),  # the instant its embargoes were read against (naive UTC)
    ):
        con.execute(f"alter table audit.dbt_builds add column if not exists {column} {sql_type}")
    for family in ALL_FAMILIES:
        con.execute(raw_ddl(family))
        defaults = family.stored_defaults()
        for name, sql_type in [*family.stored_columns(), *WITHDRAWAL_COLUMNS]:
            # rows loaded before a column with a default existed take it: they were totals, free to publish
            default = f" default {string_literal(defaults[name])}" if name in defaults else ""
            con.execute(f'alter table raw."{family.name}" add column if not exists "{name}" {sql_type}{default}')


def fill_defaults(con: duckdb.DuckDBPyConnection, family: Family) -> None:
    """Rows that came without a column that has a default (a raw zone written before the column existed) take it."""
    defaults = family.stored_defaults()
    if defaults:
        sets = ", ".join(f'"{name}" = coalesce("{name}", {string_literal(value)})' for name, value in defaults.items())
        where = " or ".join(f'"{name}" is null' for name in defaults)
        con.execute(f'update raw."{family.name}" set {sets} where {where}')
