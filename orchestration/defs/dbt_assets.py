"""The dbt project as Dagster assets; dbt tests become asset checks.

dbt runs as a subprocess on the same DuckDB file, so it runs under the warehouse lock and no
connection of this process is open meanwhile (DuckDB allows one writer process per file). On the Spark engine
(QZ_ENGINE=spark) dbt builds on the cluster's Thrift Server instead, and the marts it wrote there are then imported
into the warehouse's schemas marts and quality, which the snapshot and the report read on both engines.
"""

import hashlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration import settings
from orchestration.dbt_tools.build_scope import BuildScope, LastBuild, decide
from orchestration.defs.resources import DbtResource, WarehouseResource
from orchestration.engines.spark_thrift import Endpoint, import_spark_tables, thrift_endpoint
from orchestration.publish.serving import published_run_id, verify_current
from orchestration.reporting.report import reported_run_ids

os.environ.setdefault("DO_NOT_TRACK", "1")  # dbt: no anonymous usage statistics

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)


def _project_files() -> list[Path]:
    root = settings.DBT_PROJECT_DIR
    folders = ("models", "seeds", "macros", "tests")
    return sorted([root / "dbt_project.yml", *(p for d in folders for p in (root / d).rglob("*") if p.is_file())])


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(p.stat().st_mtime > built for p in _project_files())


def project_fingerprint(target: str) -> str:
    """The dbt project's files and the code that publishes the marts, by content, and the dbt target built on: a
    changed model, seed, threshold or publishing code means the marts, snapshot and report must be made again; a
    change of engine means every figure is rebuilt (each engine's incremental tables know only its own builds)."""
    code = settings.REPO_ROOT / "orchestration"
    digest = hashlib.sha256(target.encode())
    for path in [*_project_files(), *sorted(p for p in code.rglob("*") if p.suffix in (".py", ".j2"))]:
        digest.update(path.relative_to(settings.REPO_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


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
def quzhou_dbt_models(context: dg.AssetExecutionContext, dbt: DbtResource, warehouse: WarehouseResource):
    store = warehouse.get()
    project, last_load = project_fingerprint(dbt.target or settings.ENGINES["duckdb"]), store.last_load_id()
    inputs = store.dbt_inputs_fingerprint(last_load, project)
    last = store.last_dbt_build()
    if (
        last is not None
        and last[0] == inputs
        and published_run_id(warehouse.data_path) == last[1]
        and last[1] in reported_run_ids(warehouse.data_path)
        and not verify_current(warehouse.data_path)
    ):
        # Nothing was loaded, refused, withdrawn or moved and no model or code changed since the last build,
        # whose marts are the ones served and reported (a run killed between build and publication, or between
        # publication and report, does not count: this refresh publishes and reports again; nor does a release whose
        # files differ from their checksums: it is published anew). The marts are what a
        # build would make. No output is yielded, so Dagster skips the snapshot and report.
        context.log.info("nothing changed since the last dbt build: marts, serving snapshot and report stay as they are")
        return
    built_from = last[2] if last is not None else None
    changes = store.changes_since(built_from.last_load_id) if built_from and built_from.last_load_id is not None else None
    scope = decide(built_from, project, changes)
    if dbt.on_spark:
        endpoint = spark_endpoint(dbt, warehouse.data_path)
        if not scope.full:  # an honest full rebuild: Spark's figure models are tables (macros/changed_figures.sql)
            scope = BuildScope("on Spark every figure is rebuilt (its figure models are tables, not incremental)")
    context.log.info(f"dbt build on {dbt.target}, {scope.describe()}")
    store.begin_dbt_build(context.run_id, scope)
    try:
        with store.lock():
            invocation = dbt.cli(["build", *scope.dbt_args()], context=context)
            yield from invocation.stream()
        if dbt.on_spark:  # before the build counts as finished: an import that fails leaves it unfinished
            imported = import_spark_tables(store, endpoint, Path(invocation.target_path) / "manifest.json")
            context.log.info(f"imported {len(imported)} tables from Spark ({endpoint}): {sum(imported.values()):,} rows")
    finally:
        store.end_dbt_build()
    store.record_dbt_build(inputs, context.run_id, LastBuild(last_load, project))
    target = dbt_project.project_dir / dbt_project.target_path
    keep_parse_state(Path(invocation.target_path), target)
    prune_run_folders(target)


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
