"""Retention: Dagster runs, reports and Great Expectations pages past their time are removed; the warehouse's own
history never is. Failed runs and reports with warnings are kept longer; runs in progress are never touched."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from orchestration.defs.maintenance_assets import prune_runs
from orchestration.reporting.report import EXPORTS_DIR, prune_reports
from orchestration.store.retention import Retention


def test_expiry_follows_the_two_periods():
    policy, now = Retention(days=90, failed_days=365), datetime(2026, 11, 30, tzinfo=UTC)
    assert not policy.expired(now - timedelta(days=89), now) and policy.expired(now - timedelta(days=91), now)
    assert not policy.expired(now - timedelta(days=200), now, failed=True)
    assert policy.expired(now - timedelta(days=366), now, failed=True)


@dg.op
def works():
    return 1


@dg.op
def breaks():
    raise ValueError("a failed refresh")


def test_finished_runs_past_their_time_are_deleted_with_their_logs_and_event_files(tmp_path):
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path))
    good = dg.GraphDefinition(name="good", node_defs=[works]).to_job()
    bad = dg.GraphDefinition(name="bad", node_defs=[breaks]).to_job()
    ok_runs = [good.execute_in_process(instance=instance).run_id for _ in range(2)]
    failed_run = bad.execute_in_process(instance=instance, raise_on_error=False).run_id
    event_files = {r: Path(tmp_path, "history", "runs", f"{r}.db") for r in [*ok_runs, failed_run]}
    assert all(f.exists() for f in event_files.values())  # the layout _remove_run_event_file relies on

    later = datetime.now(UTC) + timedelta(days=100)
    removed = prune_runs(instance, Retention(days=90, failed_days=365), later)
    assert sorted(removed) == sorted(ok_runs)
    assert [r.run_id for r in instance.get_runs()] == [failed_run]  # the failure is kept longer
    assert not any(event_files[r].exists() for r in ok_runs) and event_files[failed_run].exists()
    assert not any((tmp_path / "storage" / r).exists() for r in ok_runs)
    assert prune_runs(instance, Retention(days=90, failed_days=365), later + timedelta(days=300)) == [failed_run]


def test_reports_past_their_time_go_with_their_exports_the_newest_and_warned_ones_stay(tmp_path):
    now = datetime(2026, 11, 30, tzinfo=UTC)
    history = []
    for n in range(6):  # newest first, one every 60 days; report 3 had a quarantine
        name = f"report-{n}.html"
        (tmp_path / name).write_text("page", encoding="utf-8")
        (tmp_path / EXPORTS_DIR / f"report-{n}").mkdir(parents=True)
        history.append({"file": name, "created": (now - timedelta(days=60 * n)).isoformat(), "quarantined": int(n == 3)})
    kept = prune_reports(tmp_path, history, Retention(days=90, failed_days=365, keep_reports=1), now)
    assert [e["file"] for e in kept] == ["report-0.html", "report-1.html", "report-3.html"]
    assert sorted(p.name for p in tmp_path.glob("*.html")) == ["report-0.html", "report-1.html", "report-3.html"]
    assert sorted(p.name for p in (tmp_path / EXPORTS_DIR).iterdir()) == ["report-0", "report-1", "report-3"]
    json.dumps(kept)  # still a history the index can be written from


@dg.asset
def figure():
    return 1


@dg.asset_check(asset=figure)
def figure_is_positive():
    return dg.AssetCheckResult(passed=True)


def test_deleted_runs_take_their_asset_check_executions_with_them(tmp_path):
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path))
    runs = [dg.materialize([figure, figure_is_positive], instance=instance).run_id for _ in range(3)]
    check = dg.AssetCheckKey(dg.AssetKey("figure"), "figure_is_positive")

    def executions() -> list[str]:
        return [r.run_id for r in instance.event_log_storage.get_asset_check_execution_history(check, limit=10)]

    assert sorted(executions()) == sorted(runs)
    index = Path(tmp_path, "history", "runs", "index.db")
    assert index.exists()  # the layout _remove_check_executions relies on
    removed = prune_runs(instance, Retention(days=90), datetime.now(UTC) + timedelta(days=100))
    assert sorted(removed) == sorted(runs)
    assert executions() == []
