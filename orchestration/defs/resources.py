"""Resources: where the warehouse and the raw files are. Paths come from settings unless overridden."""

from pathlib import Path

import dagster as dg

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
