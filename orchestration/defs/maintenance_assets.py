"""Retention of Dagster's own run history (orchestration/store/retention.py): runs past their time are deleted
with their event logs and captured logs, so that the data folder of years of daily refreshes stays bounded.

Runs after the ingest (every refresh has one, also when nothing is new); reports and Great Expectations pages are
pruned where they are written (reporting/report.py, validate/data_docs_history.py).
"""

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.defs.ingest_assets import ingest_assets
from orchestration.defs.owners import WAREHOUSE_TEAM
from orchestration.store.retention import Retention

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def prune_runs(instance: dg.DagsterInstance, retention: Retention, now: datetime, limit: int = 1000) -> list[str]:
    """Delete the finished runs past their time (failed and canceled ones after the longer period); returns their ids."""
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=FINISHED, created_before=now), limit=limit)
    removed = []
    for record in records:
        run = record.dagster_run
        failed = run.status != dg.DagsterRunStatus.SUCCESS
        if not retention.expired(record.create_timestamp, now, failed=failed):
            continue
        instance.delete_run(run.run_id)  # the run and its events
        instance.compute_log_manager.delete_logs(prefix=[run.run_id])
        _remove_run_event_file(instance, run.run_id)
        removed.append(run.run_id)
    _remove_check_executions(instance, removed)
    return removed


def _remove_run_event_file(instance: dg.DagsterInstance, run_id: str) -> None:
    """The default SQLite event log keeps one database file per run under <home>/history/runs/ and delete_run
    empties it without removing it: the file is removed here (tests/test_retention.py fails if that layout goes)."""
    if instance.root_directory is None:
        return
    for suffix in ("", "-wal", "-shm"):
        (Path(instance.root_directory) / "history" / "runs" / f"{run_id}.db{suffix}").unlink(missing_ok=True)


def _remove_check_executions(instance: dg.DagsterInstance, run_ids: list[str]) -> None:
    """The default SQLite event log keeps every run's asset-check executions in its index shard
    (<home>/history/runs/index.db, table asset_check_executions) and delete_run leaves them: about 95 rows, half a
    megabyte, per refresh. Dagster has no public call to remove them, so they are deleted here by run id; the freed
    pages are reused, so the file stops growing. tests/test_retention.py fails if that table or column goes."""
    if not run_ids or instance.root_directory is None:
        return
    index = Path(instance.root_directory) / "history" / "runs" / "index.db"
    if not index.exists():
        return
    with closing(sqlite3.connect(index, timeout=30)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(asset_check_executions)")}
        if "run_id" not in columns:
            return
        with conn:
            conn.executemany("DELETE FROM asset_check_executions WHERE run_id = ?", [(r,) for r in run_ids])


@dg.asset(
    key=dg.AssetKey(["maintenance", "retention"]),
    group_name="maintenance",
    deps=[a.key for a in ingest_assets],
    kinds={"python"},
    owners=[WAREHOUSE_TEAM],
    description=(
        "Deletes Dagster runs past their time with their logs: finished runs after QZ_RETENTION_DAYS (90), failed "
        "or canceled ones after QZ_RETENTION_FAILED_DAYS (365); runs in progress are never touched."
    ),
)
def retention(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    removed = prune_runs(context.instance, Retention.from_env(), datetime.now(UTC))
    if removed:
        context.log.info(f"retention: deleted {len(removed)} run(s) past their time")
    return dg.MaterializeResult(metadata={"runs_deleted": len(removed)})
