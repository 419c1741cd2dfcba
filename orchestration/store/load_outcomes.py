"""One file's outcome written to the warehouse, always in one transaction: its rows loaded and the version before
retired, or its refusal, a held version, a withdrawal, a move; with what it does to the figures the path served.
A part of Warehouse (warehouse.py), which holds the connection."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd

from orchestration.domain.families import FACT_FAMILIES, Family
from orchestration.domain.issues import ROW_COLUMN, Issue
from orchestration.store.ddl import HELD, figure_diff_sql
from orchestration.store.part import WarehousePart


def confirm_command(file_path: str) -> str:
    """The command a steward copies to serve a held version. A name with a space or a bracket (分省年度数据 (1).xls) is
    double-quoted for the shell; file names never hold a quote, `$`, a backtick or a backslash (file_names.check_file_name)."""
    plain = re.fullmatch(r"[A-Za-z0-9/._-]+", file_path)
    return f"make confirm FILE={file_path}" if plain else f'make confirm FILE="{file_path}"'


# What a refused reading that left the path's last accepted reading served says (audit.loads.note, the verdict).
KEPT_NOTE = "refused: the reading accepted before is still served until the table or its layout is fixed"


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
            f"is still served. If the cut is intended: {confirm_command(file_path)}"
        )


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


class LoadOutcomes(WarehousePart):
    def _insert_load(
        self,
        con,
        load_id: int,
        record: LoadRecord,
        status: str,
        rows_loaded: int,
        issue_count: int,
        note: str | None = None,
        keeps_served: bool | None = None,
    ) -> None:
        finished = datetime.now()
        con.execute(
            """
            insert into audit.loads (
                load_id, run_id, family, file_path, file_sha256, file_bytes, encoding, status, rows_read,
                rows_loaded, issue_count, catalogue_fingerprint, started_at, finished_at, duration_ms, note, layout,
                keeps_served
            ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                keeps_served,
            ],
        )

    @staticmethod
    def _record_figure_changes(con, family: Family, file_path: str, load_id: int, new_rows: str | None) -> int:
        """Write what `new_rows` (None: nothing, the path stops serving) does to the path's served figures."""
        if family not in FACT_FAMILIES:
            return 0
        rows = new_rows or f'(select * from raw."{family.name}" where false)'
        return con.execute(
            f"insert into audit.figure_changes select $load_id, $family, $path, * from ({figure_diff_sql(family, rows)})",
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

    def commit_load(
        self, con, record: LoadRecord, frame: pd.DataFrame, results: Sequence[dict[str, Any]], note: str | None = None
    ) -> int:
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
            self._insert_load(con, load_id, record, "loaded", len(batch), 0, note=note)
            self._insert_results(con, load_id, record, results)
        return load_id

    def record_quarantine(
        self, con, record: LoadRecord, issues: Sequence[Issue], results: Sequence[dict[str, Any]], keep_served: bool = False
    ) -> int:
        """Record why a file was refused; nothing of it reaches raw.*.

        The path's earlier version stops being served for facts (what raw/ holds now is refused, and a
        refresh from scratch would serve nothing of it either); a refused catalogue leaves the previous
        catalogue in force, since every fact is validated against it. `keep_served`: a bureau's table whose
        reading through its layout (new, edited or gone) was refused keeps its last accepted reading served, as a
        refused layout keeps its last accepted version in force (audit.loads.keeps_served).
        """
        with self._load_transaction(con) as load_id:
            if not record.family.catalogue and not keep_served:
                self._retire(
                    con, record.family, record.file_path, load_id, "the file's new version was refused (see the quality report)"
                )
            note = KEPT_NOTE if keep_served else None
            self._insert_load(con, load_id, record, "quarantined", 0, len(issues), note=note, keeps_served=keep_served or None)
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
