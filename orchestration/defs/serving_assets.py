"""After the marts build: publish the serving copy for BI readers, and write the steward report."""

import dagster as dg

from orchestration.bulletins.review import tally_folder
from orchestration.defs import summary_keys
from orchestration.defs.dbt_assets import quzhou_dbt_models
from orchestration.defs.ingest_assets import VERDICT_TAG, WITH_WARNINGS
from orchestration.defs.owners import BI_TEAM, STEWARDS
from orchestration.defs.resources import RawFilesResource, WarehouseResource
from orchestration.domain.families import ALL_FAMILIES
from orchestration.publish.disclosure import held_figures
from orchestration.publish.serving import current_snapshot, publish, published_run_id
from orchestration.reconcile.listing import discover, ignored_files
from orchestration.reporting.report import write_report
from orchestration.store.backups import back_up

MART_KEYS = [key for key in quzhou_dbt_models.keys if key.path[0] == "marts"]


@dg.asset(
    key=dg.AssetKey(["serving", "marts_snapshot"]),
    group_name="serving",
    deps=MART_KEYS,
    kinds={"duckdb", "parquet"},
    owners=[BI_TEAM],
    description=(
        "Every mart as Parquet (zstd) and a read-only DuckDB snapshot, with the SDMX files of the marts (sdmx/), "
        "written aside and swapped in atomically: BI tools read <data>/serving/current/snapshot.duckdb, never the "
        "writer's file."
    ),
)
def marts_snapshot(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    if held := held_figures(warehouse.get()):
        # The differencing check (quality.qa_disclosure): nothing is published while a free figure would give a
        # confidential one away. Readers keep the release they had; the report names the cells.
        cells = [d.describe() for d in held]
        context.log.error(
            f"release HELD: {len(held)} confidential figure(s) can be worked out from published ones: {'; '.join(cells[:5])}. "
            "Mark more cells confidential (conf_status D) or confirm (make confirm-disclosure)."
        )
        return dg.MaterializeResult(metadata={summary_keys.HELD: dg.MetadataValue.json(cells)})
    release = publish(warehouse.get(), context.run_id)  # the release readers had is checked first: republished whole
    if release.repaired:
        context.log.warning(f"the release served until now was damaged ({', '.join(release.repaired)}): published anew")
    backup = back_up(warehouse.get())  # a consistent copy of the warehouse that made this release
    lines = ["| mart | rows |", "|---|---|"] + [f"| {t} | {n} |" for t, n in release.row_counts.items()]
    return dg.MaterializeResult(
        metadata={
            "release_id": release.release_id,
            summary_keys.SNAPSHOT: dg.MetadataValue.path(str(current_snapshot(warehouse.data_path))),
            "snapshot_url": dg.MetadataValue.url(current_snapshot(warehouse.data_path).as_uri()),
            "release_folder": dg.MetadataValue.path(str(release.path)),
            "row_counts": dg.MetadataValue.md("\n".join(lines)),
            # the SDMX files beside the snapshot (docs/sdmx.md): rows of each dataflow's SDMX-CSV file
            "sdmx_rows": dg.MetadataValue.json(release.sdmx_rows),
            "dagster/row_count": sum(release.row_counts.values()),
            summary_keys.REPAIRED: dg.MetadataValue.json([f"serving/current/{name}" for name in release.repaired]),
            "backup": dg.MetadataValue.path(str(backup) if backup else "off (QZ_BACKUPS_KEPT=0)"),
        }
    )


QUALITY_KEYS = [key for key in quzhou_dbt_models.keys if key.path[0] == "quality"]
REPORT_KEY = dg.AssetKey(["reports", "quality_report"])


@dg.asset(
    key=REPORT_KEY,
    group_name="serving",
    # After the publication: a report says "published" only of a release that is current, and is not written at
    # all when the publication failed.
    deps=[*MART_KEYS, *QUALITY_KEYS, marts_snapshot.key],
    kinds={"html"},
    owners=[STEWARDS],
    description=(
        "The steward quality report of this refresh (loads and reasons, expectation results, revisions, "
        "anomalies, completeness, progress charts): <data>/reports/, one page per run and an index."
    ),
    check_specs=[
        # The run's verdict where the run page shows it: Dagster marks a run that published with refused files a
        # success (what was accepted is served), so this check fails (WARN) and its text says what was refused.
        dg.AssetCheckSpec(
            "published_without_warnings",
            asset=REPORT_KEY,
            description="Rule: the refresh served every file of the raw folder, with no figure in conflict and none "
            "withdrawn. Fails (WARN) when it published with warnings; the text says which, the report says why.",
        )
    ],
)
def quality_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource, raw_files: RawFilesResource):
    root = raw_files.path
    files_in_raw = [p.relative_to(root).as_posix() for family in ALL_FAMILIES for p in discover(family, root)]
    store = warehouse.get()
    run_tags = context.instance.get_run_by_id(context.run_id).tags
    deferred = sum(int(v) for k, v in run_tags.items() if k.startswith("quzhou/") and k.endswith("_deferred"))
    published = published_run_id(store.data_dir) == context.run_id
    reviews = tally_folder(root)  # raw/reviews/: what stewards decided on extracted figures (read, never loaded)
    result = write_report(store, context.run_id, files_in_raw, ignored_files(root), deferred, published, reviews)
    # A refresh that quarantined, withdrew or found conflicting files still succeeds (what was accepted is
    # served), so the run says so in its tags, visible in the run list beside the green status. The ingest
    # assets may have said so already (a file still being written): that is never taken back.
    # a release held by the differencing check (disclosure_held) is never a green run either
    flagged = {k: result.counts.get(k, 0) for k in ("quarantined", "deferred", "withdrawn", "conflicts", "disclosure_held")}
    warned = any(flagged.values()) or run_tags.get(VERDICT_TAG) == WITH_WARNINGS
    verdict = WITH_WARNINGS if warned else "all_files_accepted"
    # only counts that are not zero: the run list shows every tag
    context.instance.add_run_tags(
        context.run_id, {VERDICT_TAG: verdict, **{f"quzhou/{k}": str(n) for k, n in flagged.items() if n}}
    )
    yield dg.MaterializeResult(
        metadata={
            "verdict": verdict,
            summary_keys.REPORT: dg.MetadataValue.path(str(result.path)),
            "report_url": dg.MetadataValue.url(result.path.as_uri()),
            "index": dg.MetadataValue.path(str(result.index)),
            "summary": dg.MetadataValue.md(result.summary_markdown),
            **{f"count_{k}": v for k, v in result.counts.items()},
        }
    )
    found = ", ".join(f"{n} {what}" for what, n in flagged.items() if n) or "files not served (held, or still being written)"
    said = (
        f"{'Published' if published else 'NOT published'} WITH WARNINGS: {found}. Which files and why: the "
        f"all_files_accepted checks of the raw/* assets, and the quality report {result.path.name}."
        if warned
        else "Published: every file accepted, no conflict, nothing withdrawn."
    )
    yield dg.AssetCheckResult(
        check_name="published_without_warnings",
        passed=not warned,
        severity=dg.AssetCheckSeverity.WARN,
        description=said,
        # the verdict as plain text too: the run's event log shows metadata in the row, not the description
        metadata={"verdict": dg.MetadataValue.text(said), "report_url": dg.MetadataValue.url(result.path.as_uri()), **flagged},
    )
