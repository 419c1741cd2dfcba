"""What the warehouse's parts (ingest_state.py, load_outcomes.py, dbt_builds.py) need of the Warehouse they are part
of: a connection under the writer lock for one unit of work. Warehouse (warehouse.py) gives it; a part's other
methods take the connection they work in."""

from __future__ import annotations

from contextlib import AbstractContextManager

import duckdb


class WarehousePart:
    def session(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        raise NotImplementedError("a part of Warehouse: the Warehouse gives the session")
