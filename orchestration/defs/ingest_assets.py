"""One ingest asset per raw file family: raw.<family> in the warehouse.

Catalogues load first; facts (observations, targets) are validated against the catalogue as
committed. A quarantined file does not fail the asset (the rest of the refresh goes on): it fails
the asset's `all_files_accepted` check (severity WARN); the check's description, which the Dagster UI shows on the
run, names the files and the first reasons, and its metadata holds every reason. A withdrawn file (gone from raw/)
is a WARN of the `no_file_withdrawn` check. Checks are reported after the materialization they check.
"""

import dagster as dg

from orchestration.defs import summary_keys
from orchestration.defs.owners import WAREHOUSE_TEAM
from orchestration.defs.resources import RawFilesResource, WarehouseResource
from orchestration.domain.families import ALL_FAMILIES, CATALOGUE_FAMILIES, Family
from orchestration.publish.audit_zone import audit_exported, export_audit, refuse_to_erase_history
from orchestration.publish.raw_zone import sync_family, zone_dir
from orchestration.reconcile.family import FILE_STATUSES, KEPT_NOTE, FileOutcome, ingest_family

GROUP = "ingest"
MAX_REASONS_SHOWN = 50  # per check, in the UI; every reason is in audit.load_issues
REASONS_IN_DESCRIPTION = 3  # the first reasons, in the text the run page shows without a click


def asset_key(family: Family) -> dg.AssetKey:
    # Same key dagster-dbt gives the dbt source raw.<family>, so dbt models hang below these assets.
    return dg.AssetKey(["raw", family.name])


def _summary_markdown(outcomes: list[FileOutcome]) -> str:
    lines = ["| file | status | rows | issues |", "|---|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.file_path} | {o.status} | {o.rows} | {len(o.issues)} |")
    return "\n".join(lines)


def _files_check(
    name: str, files: list[FileOutcome], label: str, passing: str, reasons: list[str] | None = None
) -> dg.AssetCheckResult:
    """A WARN check that fails when any file is in `files`; its description states the outcome of each and the
    first reasons (the run page shows the description; every reason is in the metadata)."""
    shown = ", ".join(f"{o.file_path} ({o.status.replace('_', ' ')})" for o in files[:5]) + (" …" if len(files) > 5 else "")
    first = "; ".join(reasons[:REASONS_IN_DESCRIPTION]) if reasons else ""
    more = (
        f" (and {len(reasons) - REASONS_IN_DESCRIPTION} more reasons)"
        if reasons and len(reasons) > REASONS_IN_DESCRIPTION
        else ""
    )
    metadata = {"files": dg.MetadataValue.json([o.file_path for o in files])}
    if first:  # plain text: the run's event log shows it in the row, where Markdown needs a click
        metadata["why"] = dg.MetadataValue.text(first + more)
    if reasons is not None:
        metadata["reasons"] = dg.MetadataValue.md("\n".join(f"- {r}" for r in reasons[:MAX_REASONS_SHOWN]) or "none")
        metadata["reason_count"] = len(reasons)
    return dg.AssetCheckResult(
        check_name=name,
        passed=not files,
        severity=dg.AssetCheckSeverity.WARN,
        description=(f"{len(files)} file(s) {label}: {shown}" + (f". Why: {first}{more}" if first else "")) if files else passing,
        metadata=metadata,
    )


VERDICT_TAG = "quzhou/verdict"
WITH_WARNINGS = "with_warnings"


def warning_tags(family: Family, counts: dict[str, int]) -> dict[str, str]:
    """Run tags of a family whose files are not all served: the verdict and what each count is."""
    counted = {
        k: counts.get(k, 0) for k in ("quarantined", "still_quarantined", "deferred", "held", "withdrawn", "figures_withdrawn")
    }
    return {VERDICT_TAG: WITH_WARNINGS, **{f"quzhou/{family.name}_{k}": str(n) for k, n in counted.items() if n}}


def build_ingest_asset(family: Family) -> dg.AssetsDefinition:
    key = asset_key(family)
    after = [f for f in CATALOGUE_FAMILIES if not family.catalogue or f.name in family.checked_against]
    deps = [asset_key(f) for f in after]

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
                description="Rule: every file of this family in the raw folder is served: it passed the parser and Great "
                "Expectations (a refused file is quarantined with its reasons, and stays a WARN while it is in the raw folder "
                "unchanged; a file still being written is deferred to the next refresh, a WARN too).",
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
        refuse_to_erase_history(store)  # a lost warehouse is restored from the raw zone, never refreshed over it
        outcomes = ingest_family(family, raw_files.path, store, context.run_id)
        # The same loads as Parquet, for Spark and other engines (orchestration/publish/raw_zone.py).
        with store.session() as con:
            zone = sync_family(con, family, zone_dir(store.data_dir))
            if any(o.load_id is not None for o in outcomes) or not audit_exported(store.data_dir):
                export_audit(con, store.data_dir)  # what a restore needs besides the loads' rows (only when it grew)
            figures = store.figure_change_counts(con, family, context.run_id)
        counts = {status: sum(o.status == status for o in outcomes) for status in FILE_STATUSES}
        # Not served now: refused by this refresh, refused earlier and unchanged, or still being written.
        quarantined = [o for o in outcomes if o.status in ("quarantined", "still_quarantined", "deferred", "held")]
        withdrawn = [o for o in outcomes if o.status == "withdrawn"]
        reasons = [
            reason + (f" ({KEPT_NOTE})" if o.note == KEPT_NOTE else "")
            for o in quarantined
            for reason in ([str(i) for i in o.issues] if o.issues else [f"{o.file_path}: {o.status.replace('_', ' ')}: {o.note}"])
        ]
        for o in quarantined:
            context.log.warning(f"{o.status} {o.file_path}: " + ("; ".join(str(i) for i in o.issues[:5]) or str(o.note)))
        if quarantined or withdrawn or figures["withdrawn"]:
            # The run says so whether or not dbt and the report run after it (nothing new: they do not).
            context.instance.add_run_tags(
                context.run_id, warning_tags(family, {**counts, "figures_withdrawn": figures["withdrawn"]})
            )
        yield dg.MaterializeResult(
            metadata={
                **{summary_keys.files_key(status): n for status, n in counts.items()},
                "rows_loaded": sum(o.rows for o in outcomes if o.status == "loaded"),
                # figure by figure (audit.figure_changes): served figures this run stopped serving, or changed
                **{summary_keys.figures_key(change): n for change, n in figures.items()},
                "files": dg.MetadataValue.md(_summary_markdown(outcomes)),
                "warehouse": dg.MetadataValue.path(str(store.path)),
                "raw_zone": dg.MetadataValue.path(str(zone_dir(store.data_dir) / family.name)),
                "raw_zone_partitions_written": zone.written,
                summary_keys.REPAIRED: dg.MetadataValue.json([f"raw_zone/{p}" for p in zone.repaired]),
            },
        )
        # after the materialization, so the checks' timestamps follow what they check
        yield _files_check("all_files_accepted", quarantined, "not accepted", "every file in the raw folder is accepted", reasons)
        yield _files_check("no_file_withdrawn", withdrawn, "withdrawn", "no served file disappeared")

    return _ingest


ingest_assets = [build_ingest_asset(family) for family in ALL_FAMILIES]
