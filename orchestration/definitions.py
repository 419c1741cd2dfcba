"""The one entry point Dagster loads (pyproject.toml's [tool.dagster]; `make dev` runs `dagster dev` on it).

Every asset, check, job, schedule and sensor is found under orchestration/defs/ by Dagster's
`load_from_defs_folder` (the project is declared in pyproject.toml's [tool.dg]); this module adds the
resources, which name the data and raw folders (tests pass their own) and the engine dbt builds on (QZ_ENGINE).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration import settings
from orchestration.dbt_tools.dbt_guard import data_dir_flag, spark_thrift_flag
from orchestration.defs.resources import DbtResource, RawFilesResource, WarehouseResource
from orchestration.engines.spark_cluster import ClusterError
from orchestration.engines.spark_thrift import thrift_endpoint


def build_definitions(data_dir: Path | None = None, raw_dir: Path | None = None, engine: str | None = None) -> dg.Definitions:
    """The code location; tests pass their own folders."""
    found = dg.load_from_defs_folder(path_within_project=settings.REPO_ROOT)
    data = Path(data_dir or settings.data_dir()).resolve()
    engine = engine or settings.engine()
    flags, endpoint = [data_dir_flag(data)], None  # the same folder, passed to dbt explicitly (qz-dbt)
    if engine == "spark":
        try:
            endpoint = str(thrift_endpoint(data))
            flags.append(spark_thrift_flag(endpoint))
        except ClusterError:
            pass  # the code location still loads; the dbt step says there is no cluster (spark_thrift.thrift_endpoint)
    resources = {
        "warehouse": WarehouseResource(data_dir=str(data)),
        "raw_files": RawFilesResource(root=str(raw_dir or settings.raw_dir())),
        "dbt": DbtResource(
            project_dir=str(settings.DBT_PROJECT_DIR),
            profiles_dir=str(settings.DBT_PROJECT_DIR),
            dbt_executable=settings.dbt_executable(),
            global_config_flags=flags,
            target=settings.ENGINES[engine],
            spark_thrift=endpoint,
        ),
    }
    return dg.Definitions.merge(found, dg.Definitions(resources=resources))


defs = build_definitions()
