"""Resources: where the warehouse and the raw files are. Paths come from settings unless overridden."""

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration import settings
from orchestration.store.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse in `data_dir`. Hands out a Warehouse that opens and closes per use."""

    data_dir: str

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    def get(self) -> Warehouse:
        return Warehouse(self.data_path)


class RawFilesResource(dg.ConfigurableResource):
    """The folder of published source files (raw/)."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root).resolve()


class DbtResource(DbtCliResource):
    """dagster-dbt's dbt resource without the dbt adapter it builds inside this process before every dbt command
    (importing dbt and loading its macros, ~2.4 s of each refresh that builds, measured with cProfile on a 10^4
    folder; on Spark it would import dbt-spark and its client into the Dagster process). dagster-dbt uses the
    adapter only for `fetch_row_counts()` and `fetch_column_metadata()`; this project calls neither, and dagster-dbt
    0.29 has no public switch for it, so this private method is replaced (a test fails when dagster-dbt stops calling
    it). The `dbt --version` dagster-dbt runs first is answered by `qz-dbt` itself (dbt_tools/dbt_guard.py).
    """

    def _initialize_dbt_core_adapter(self, args):
        return None

    # The Spark engine's Thrift endpoint (host:port) when the target is spark_thrift: after dbt built the marts on
    # the cluster, the refresh reads them from there (orchestration/engines/spark_thrift.py).
    spark_thrift: str | None = None

    @property
    def on_spark(self) -> bool:
        return self.target == settings.ENGINES["spark"]
