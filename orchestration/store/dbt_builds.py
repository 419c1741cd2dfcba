"""What the marts were last built from, and the build under way: audit.dbt_builds and the scope an incremental
build reads (audit.dbt_build_scope). A part of Warehouse (warehouse.py), which holds the connection."""

from __future__ import annotations

import hashlib
from datetime import datetime

from orchestration.dbt_tools.build_scope import BuildScope, ChangesSince, LastBuild
from orchestration.store.ddl import LOAD_COLUMNS
from orchestration.store.part import WarehousePart

UNFINISHED_BUILD = "(unfinished)"  # audit.dbt_builds.inputs_fingerprint of a build under way, failed or killed


class DbtBuildLog(WarehousePart):
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
                    "insert into audit.dbt_build_scope (run_id, observation_path, source_id) values (?, ?, ?)",
                    [
                        (run_id, None, None),
                        *((run_id, p, None) for p in scope.observation_paths),
                        *((run_id, None, s) for s in scope.source_ids),
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
