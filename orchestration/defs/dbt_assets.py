"""The dbt project as Dagster assets; dbt tests become asset checks.

dbt runs as a subprocess on the same DuckDB file, so it runs under the warehouse lock and no
connection of this process is open meanwhile (DuckDB allows one writer process per file). On the Spark engine
(QZ_ENGINE=spark) dbt builds on the cluster's Thrift Server instead, and the marts it wrote there are then imported
into the warehouse's schemas marts and quality, which the snapshot and the report read on both engines.
"""

import hashlib
import logging
import os
import shutil
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets

from orchestration import settings
from orchestration.dbt_tools.build_scope import BuildState, LastBuild, dbt_build_args, decide_build
from orchestration.dbt_tools.manifest import TARGET_PATH, manifest_is_stale, project_files
from orchestration.defs.resources import DbtResource, WarehouseResource
from orchestration.domain import clock
from orchestration.engines.spark_thrift import Endpoint, import_spark_tables, thrift_endpoint
from orchestration.publish.serving import published_run_id, verify_current
from orchestration.reporting.report import reported_run_ids

log = logging.getLogger(__name__)
dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR, target_path=TARGET_PATH)


ENGINE_PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb")


def project_fingerprint(target: str) -> str:
    """The dbt project's files and the code that publishes the marts, by content, the dbt target built on and the
    versions of dbt and DuckDB: a changed model, seed, threshold or publishing code means the marts, snapshot and
    report must be made again; a change of engine means every figure is rebuilt (each engine's incremental tables
    know only its own builds); an upgraded dbt or DuckDB rebuilds every figure and runs the unit tests again."""
    code = settings.REPO_ROOT / "orchestration"
    digest = hashlib.sha256(target.encode())
    digest.update(" ".join(f"{name}=={metadata.version(name)}" for name in ENGINE_PACKAGES).encode())
    for path in [*project_files(), *sorted(p for p in code.rglob("*") if p.suffix in (".py", ".j2"))]:
        digest.update(path.relative_to(settings.REPO_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# The manifest is made before the code location loads (dbt_tools/manifest.py); under `dagster dev` dagster-dbt
# parses the project again whenever the code location is reloaded.
dbt_project.prepare_if_dev()
if manifest_is_stale(dbt_project.manifest_path):
    log.warning("the dbt manifest is older than the dbt project: run `make run` (or python -m orchestration.dbt_tools.manifest)")


class QuzhouDbtTranslator(DagsterDbtTranslator):
    """Groups by folder (staging, intermediate, marts, reference seeds); sources keep raw/<table> keys."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=QuzhouDbtTranslator())
def quzhou_dbt_models(context: dg.AssetExecutionContext, dbt: DbtResource, warehouse: WarehouseResource):
    """Decide (build_scope.decide_build), then stream `dbt build`; with no output yielded Dagster skips the snapshot and
    the report, which stay the last ones."""
    store = warehouse.get()
    state = _build_state(store, dbt, warehouse.data_path)
    scope = decide_build(state)
    if scope is None:
        context.log.info("nothing changed since the last dbt build: marts, serving snapshot and report stay as they are")
        return
    endpoint = spark_endpoint(dbt, warehouse.data_path) if dbt.on_spark else None
    context.log.info(f"dbt build on {dbt.target}, {scope.describe()}")
    store.begin_dbt_build(context.run_id, scope, state.clock)
    try:
        with store.lock():
            invocation = dbt.cli(dbt_build_args(scope), context=context)
            yield from invocation.stream()
        if endpoint:  # before the build counts as finished: an import that fails leaves it unfinished
            imported = import_spark_tables(store, endpoint, Path(invocation.target_path) / "manifest.json")
            context.log.info(f"imported {len(imported)} tables from Spark ({endpoint}): {sum(imported.values()):,} rows")
    finally:
        store.end_dbt_build()
    store.record_dbt_build(state.inputs, context.run_id, LastBuild(state.last_load_id, state.project))
    target = dbt_project.project_dir / dbt_project.target_path
    keep_parse_state(Path(invocation.target_path), target)
    prune_run_folders(target)


def _build_state(store, dbt: DbtResource, data: Path) -> BuildState:
    """What decide_build reads, from the warehouse, the serving copy and the reports."""
    project, last_load = project_fingerprint(dbt.target or settings.ENGINES["duckdb"]), store.last_load_id()
    now = clock.now_utc()  # one instant for the whole build: what is under embargo, what was released since
    last = store.last_dbt_build()
    built_from = last[2] if last is not None else None
    known = built_from is not None and built_from.last_load_id is not None
    return BuildState(
        last_load_id=last_load,
        inputs=store.dbt_inputs_fingerprint(last_load, project, store.embargoed_sources(now)),
        project=project,
        last_inputs=last[0] if last else None,
        last_run_id=last[1] if last else None,
        last_built_from=built_from,
        published_run_id=published_run_id(data),
        reported_run_ids=frozenset(reported_run_ids(data)),
        release_intact=lambda: not verify_current(data),
        changes=store.changes_since(built_from.last_load_id, now) if known else None,
        on_spark=dbt.on_spark,
        clock=now,
    )


def spark_endpoint(dbt: DbtResource, data: Path) -> Endpoint:
    # None when no cluster was found as the definitions were built: thrift_endpoint then raises saying so
    return Endpoint.parse(dbt.spark_thrift) if dbt.spark_thrift else thrift_endpoint(data)


def keep_parse_state(run_target: Path, target: Path) -> None:
    """dagster-dbt starts each dbt command from target/partial_parse.msgpack, written by the `dbt parse` that made
    the manifest, under another profile (its data path is relative, the run's absolute): dbt found the profile
    changed and parsed the whole project again at every build (~2 s). The build's own parse state, under the
    refresh's profile, becomes the next build's start; dbt still checks every file against it."""
    state = run_target / "partial_parse.msgpack"
    if state.exists():
        aside = target / f".partial_parse.{os.getpid()}.msgpack"
        shutil.copyfile(state, aside)
        os.replace(aside, target / "partial_parse.msgpack")  # atomic: another refresh may be reading it


KEEP_RUN_FOLDERS = 3


def prune_run_folders(target: Path, keep: int = KEEP_RUN_FOLDERS) -> None:
    """dagster-dbt gives every dbt invocation its own folder under target/ (manifest, logs, compiled SQL:
    ~5 MB each); without this they pile up forever. The newest few are kept for debugging a failed run."""
    runs = sorted((p for p in target.glob(f"{quzhou_dbt_models.op.name}-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
