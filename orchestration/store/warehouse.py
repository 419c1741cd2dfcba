"""The DuckDB warehouse file: its connection and writer lock; what it holds and how it is written are its parts
(ingest_state.py, load_outcomes.py, dbt_builds.py), its tables ddl.py.

DuckDB lets one process hold a file open for writing, and dbt runs as a subprocess. So nothing
here keeps a connection: every operation takes the writer lock (a file lock beside the
warehouse), opens, works, commits and closes. dbt runs under the same lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.store.dbt_builds import DbtBuildLog
from orchestration.store.ddl import ensure_schema
from orchestration.store.ingest_state import IngestState
from orchestration.store.load_outcomes import LoadOutcomes, LoadRecord
from orchestration.store.locks import LockHeldError, exclusive_lock

__all__ = ["LoadRecord", "Warehouse", "WarehouseLockedError", "WarehouseUnavailableError"]


class WarehouseUnavailableError(RuntimeError):
    """The warehouse file cannot be opened (unreadable, not a DuckDB file, ...)."""


class WarehouseLockedError(WarehouseUnavailableError):
    """Another process holds the warehouse."""


# What DuckDB says when the bytes of the file are not what it wrote (cut off, zeroed, overwritten).
_DAMAGED = re.compile(r"Could not read enough bytes|[Cc]orrupt|checksum|not a valid DuckDB database|truncated|invalid block")


class Warehouse(IngestState, LoadOutcomes, DbtBuildLog):
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
            ensure_schema(con)
