"""The one entry point Dagster loads: `dagster dev -m orchestration.definitions`."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration import settings
from orchestration.defs.automation import daily_refresh, raw_files_sensor, refresh_job
from orchestration.defs.dbt_assets import dbt_project, quzhou_dbt_models
from orchestration.defs.ingest_assets import ingest_assets
from orchestration.defs.resources import RawFilesResource, WarehouseResource
from orchestration.defs.serving_assets import marts_snapshot, quality_report


def build_definitions(data_dir: Path | None = None, raw_dir: Path | None = None) -> dg.Definitions:
    """The code location; tests pass their own folders."""
    return dg.Definitions(
        assets=[*ingest_assets, quzhou_dbt_models, marts_snapshot, quality_report],
        jobs=[refresh_job],
        schedules=[daily_refresh],
        sensors=[raw_files_sensor],
        resources={
            "warehouse": WarehouseResource(data_dir=str(data_dir or settings.data_dir())),
            "raw_files": RawFilesResource(root=str(raw_dir or settings.raw_dir())),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=settings.dbt_executable()),
        },
    )


defs = build_definitions()
