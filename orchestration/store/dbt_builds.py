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
    def dbt_inputs_fingerprint(last_load_id: int | None, project_fingerprint: str, embargoed: tuple[str, ...] = ()) -> str:
        """What a dbt build depends on: the raw state, the dbt project's files and which sources are under embargo
        (one whose release time passes changes it: the next refresh builds and publishes its figures)."""
        text = f"{last_load_id}|{project_fingerprint}" + (f"|embargoed:{','.join(embargoed)}" if embargoed else "")
        return hashlib.sha256(text.encode()).hexdigest()

    def embargoed_sources(self, clock: datetime) -> tuple[str, ...]:
        """The sources whose release time is still to come at `clock` (naive UTC)."""
        with self.session() as con:
            rows = con.execute(
                "select source_id from raw.sources where _superseded_by_load is null and release_at > ? order by 1", [clock]
            ).fetchall()
        return tuple(s for (s,) in rows)

    def changes_since(self, load_id: int, clock: datetime | None = None) -> ChangesSince:
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
            released = self._released_since_last_build(con, clock) if clock is not None else []
        sources = sorted({s for (s,) in sources} | set(released))
        return ChangesSince(frozenset(families), tuple(p for (p,) in paths), tuple(sources))

    @staticmethod
    def _released_since_last_build(con, clock: datetime) -> list[str]:
        """Sources whose release time fell between the last finished build's clock and `clock`: their figures were
        under embargo then and are served now (a build recorded without a clock counts every release up to now)."""
        rows = con.execute(
            """
            with last as (select release_clock from audit.dbt_builds where inputs_fingerprint <> ?
                          order by built_at desc limit 1)
            select source_id from raw.sources
            where _superseded_by_load is null and release_at <= ?
              and (release_at > (select release_clock from last) or (select release_clock from last) is null)
            """,
            [UNFINISHED_BUILD, clock],
        ).fetchall()
        return [s for (s,) in rows]

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

    def begin_dbt_build(self, run_id: str, scope: BuildScope, clock: datetime | None = None) -> None:
        """Mark a build as under way and hand dbt its scope. Until `record_dbt_build` completes it, it counts as the
        last build and says nothing to start from: a build that fails or dies half-way (some tables rebuilt, some
        not) makes the next one rebuild every figure. The scope is a table, not dbt vars: vars that change at each
        build would make dbt parse the whole project again (~2 s)."""
        with self.session() as con:
            con.execute(
                "insert into audit.dbt_builds (inputs_fingerprint, run_id, built_at, scope, release_clock) "
                "values (?, ?, ?, ?, ?)",
                [UNFINISHED_BUILD, run_id, datetime.now(), scope.describe(), clock],
            )
            con.execute("delete from audit.dbt_build_scope")
            con.execute("delete from audit.release_clock")
            if clock is not None:  # without one the build reads release times against its own now
                con.execute("insert into audit.release_clock values (?)", [clock])
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
        """The scope and clock are consumed: dbt run by hand afterwards rebuilds every figure, as of its own now."""
        with self.session() as con:
            con.execute("delete from audit.dbt_build_scope")
            con.execute("delete from audit.release_clock")

    def record_dbt_build(self, fingerprint: str, run_id: str, built_from: LastBuild) -> None:
        with self.session() as con:
            con.execute(
                "update audit.dbt_builds set inputs_fingerprint = ?, built_at = ?, last_load_id = ?, project_fingerprint = ? "
                "where run_id = ? and inputs_fingerprint = ?",
                [fingerprint, datetime.now(), built_from.last_load_id, built_from.project_fingerprint, run_id, UNFINISHED_BUILD],
            )
