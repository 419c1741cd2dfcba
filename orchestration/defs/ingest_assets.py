"""One ingest asset per raw file family: raw.<family> in the warehouse.

Catalogues load first; facts (observations, targets) are validated against the catalogue as
committed. A quarantined file does not fail the asset (the rest of the refresh goes on): it fails
the asset's `all_files_accepted` check (severity WARN), with every reason in the check's metadata.
A withdrawn file (gone from raw/) is a WARN of the `no_file_withdrawn` check.
"""

import dagster as dg

from orchestration.defs.owners import WAREHOUSE_TEAM
from orchestration.defs.resources import RawFilesResource, WarehouseResource
from orchestration.ingest.families import ALL_FAMILIES, CATALOGUE_FAMILIES, Family
from orchestration.ingest.loop import FILE_STATUSES, FileOutcome, ingest_family
from orchestration.publish.raw_zone import sync_family, zone_dir

GROUP = "ingest"
MAX_REASONS_SHOWN = 50  # per check, in the UI; every reason is in audit.load_issues


def asset_key(family: Family) -> dg.AssetKey:
    # Same key dagster-dbt gives the dbt source raw.<family>, so dbt models hang below these assets.
    return dg.AssetKey(["raw", family.name])


def _summary_markdown(outcomes: list[FileOutcome]) -> str:
    lines = ["| file | status | rows | issues |", "|---|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.file_path} | {o.status} | {o.rows} | {len(o.issues)} |")
    return "\n".join(lines)


def _files_check(
    name: str, files: list[FileOutcome], status: str, passing: str, metadata: dict | None = None
) -> dg.AssetCheckResult:
    """A WARN check that fails when any file ended with `status`; its description states the outcome."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=not files,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{len(files)} file(s) {status}: " + ", ".join(o.file_path for o in files[:5]) if files else passing,
        metadata={f"{status}_files": dg.MetadataValue.json([o.file_path for o in files]), **(metadata or {})},
    )


def build_ingest_asset(family: Family) -> dg.AssetsDefinition:
    key = asset_key(family)
    deps = [] if family.catalogue else [asset_key(f) for f in CATALOGUE_FAMILIES]

    @dg.asset(
        key=key,
        group_name=GROUP,
        deps=deps,
        description=f"{family.description} Files: raw/{family.pattern}. Also as Parquet, one partition per load: "
        f"<data>/raw_zone/{family.name}/.",
        kinds={"duckdb", "parquet", "python"},
        owners=[WAREHOUSE_TEAM],
        check_specs=[
            dg.AssetCheckSpec(
                "all_files_accepted",
                asset=key,
                description="Rule: every new or changed file of this family passes the parser and Great Expectations "
                "(a refused file is quarantined with its reasons; WARN when any was).",
            ),
            dg.AssetCheckSpec(
                "no_file_withdrawn",
                asset=key,
                description="Rule: every file this family served is still in the raw folder "
                "(a file that disappeared is withdrawn: its figures stop being served; WARN when any was).",
            ),
        ],
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource, raw_files: RawFilesResource):
        store = warehouse.get()
        store.ensure_schema()
        outcomes = ingest_family(family, raw_files.path, store, context.run_id)
        # The same loads as Parquet, for Spark and other engines (orchestration/publish/raw_zone.py).
        with store.session() as con:
            zone = sync_family(con, family, zone_dir(store.data_dir))
        counts = {status: sum(o.status == status for o in outcomes) for status in FILE_STATUSES}
        quarantined = [o for o in outcomes if o.status == "quarantined"]
        withdrawn = [o for o in outcomes if o.status == "withdrawn"]
        reasons = [str(i) for o in quarantined for i in o.issues]
        for o in quarantined:
            context.log.warning(f"quarantined {o.file_path}: " + "; ".join(str(i) for i in o.issues[:5]))
        yield dg.MaterializeResult(
            metadata={
                **{f"files_{status}": n for status, n in counts.items()},
                "rows_loaded": sum(o.rows for o in outcomes if o.status == "loaded"),
                "files": dg.MetadataValue.md(_summary_markdown(outcomes)),
                "warehouse": dg.MetadataValue.path(str(store.path)),
                "raw_zone": dg.MetadataValue.path(str(zone_dir(store.data_dir) / family.name)),
                "raw_zone_partitions_written": zone.written,
            },
            check_results=[
                _files_check(
                    "all_files_accepted",
                    quarantined,
                    "quarantined",
                    "every new or changed file was accepted",
                    {
                        "reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in reasons[:MAX_REASONS_SHOWN]) or "none"),
                        "reason_count": len(reasons),
                    },
                ),
                _files_check("no_file_withdrawn", withdrawn, "withdrawn", "no served file disappeared"),
            ],
        )

    return _ingest


ingest_assets = [build_ingest_asset(family) for family in ALL_FAMILIES]
