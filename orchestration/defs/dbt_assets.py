"""The dbt project as Dagster assets; dbt tests become asset checks.

dbt runs as a subprocess on the same DuckDB file, so it runs under the warehouse lock and no
connection of this process is open meanwhile (DuckDB allows one writer process per file).
"""

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration import settings
from orchestration.defs.resources import WarehouseResource

os.environ.setdefault("DO_NOT_TRACK", "1")  # dbt: no anonymous usage statistics

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    root = settings.DBT_PROJECT_DIR
    sources = [
        root / "dbt_project.yml",
        *(p for d in ("models", "seeds", "macros", "tests") for p in (root / d).rglob("*") if p.is_file()),
    ]
    return any(p.stat().st_mtime > built for p in sources)


# `make run`, `make dev`, the tests and a fresh clone all need a current manifest. dagster-dbt's own
# preparer looks for `dbt` on PATH, which an unactivated venv does not provide.
if _manifest_is_stale():
    DbtCliResource(project_dir=dbt_project, dbt_executable=settings.dbt_executable()).cli(
        ["parse", "--quiet"], target_path=dbt_project.target_path
    ).wait()


class QuzhouDbtTranslator(DagsterDbtTranslator):
    """Groups by folder (staging, intermediate, marts, reference seeds); sources keep raw/<table> keys."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=QuzhouDbtTranslator())
def quzhou_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # profiles.yml reads QZ_DATA_DIR; the dbt subprocess inherits this process's environment.
    os.environ[settings.DATA_DIR_ENV] = str(warehouse.data_path)
    with warehouse.get().lock():
        yield from dbt.cli(["build"], context=context).stream()
    prune_run_folders(dbt_project.project_dir / dbt_project.target_path)


KEEP_RUN_FOLDERS = 3


def prune_run_folders(target: Path, keep: int = KEEP_RUN_FOLDERS) -> None:
    """dagster-dbt gives every dbt invocation its own folder under target/ (manifest, logs, compiled SQL:
    ~5 MB each); without this they pile up forever. The newest few are kept for debugging a failed run."""
    runs = sorted((p for p in target.glob(f"{quzhou_dbt_models.op.name}-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
