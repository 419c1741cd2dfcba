"""Resources: where the warehouse and the raw files are. Paths come from settings unless overridden."""

from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

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
    """dagster-dbt's dbt resource without the two start-ups it does in this process before every dbt command,
    ~4.4 s of each refresh that builds (measured with cProfile on a 10^4 folder):

    - `dbt --version` in a subprocess to learn which dbt it drives (a whole dbt start, ~2 s): the version of the
      dbt-core installed beside this Python is read from its package metadata instead (`qz-dbt` runs that dbt);
    - a dbt adapter built inside this process (importing dbt, ~2.4 s), which dagster-dbt uses only for
      `fetch_row_counts()` and `fetch_column_metadata()`; this project calls neither.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None

    # The Spark engine's Thrift endpoint (host:port) when the target is spark_thrift: after dbt built the marts on
    # the cluster, the refresh reads them from there (orchestration/engines/spark_thrift.py).
    spark_thrift: str | None = None

    @property
    def on_spark(self) -> bool:
        return self.target == settings.ENGINES["spark"]
