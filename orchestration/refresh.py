"""`python -m orchestration.refresh`: run the whole refresh in this process and print a summary.

The run is recorded in the Dagster instance under <data dir>/dagster_home, the same one `make dev`
opens, so it shows in the UI's run history.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import settings
from orchestration.locks import exclusive_lock

DAGSTER_YAML = """# Written by orchestration/refresh.py. No network at run time.
telemetry:
  enabled: false
# One refresh at a time: runs requested by the schedule or the sensor queue behind each other.
concurrency:
  runs:
    max_concurrent_runs: 1
"""


def prepare_dagster_home(data_dir: Path) -> Path:
    home = data_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    return home


def _shown(path: Path | None) -> str:
    """A path relative to the working directory when it lies below it (data/warehouse.duckdb)."""
    if path is None:
        return "-"
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class RefreshSummary:
    run_id: str
    success: bool
    seconds: float
    files: dict[str, int] = field(default_factory=dict)  # loaded / skipped / quarantined
    quarantine_reasons: dict[str, list[str]] = field(default_factory=dict)  # asset -> reasons (markdown lines)
    models_built: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    warehouse: Path | None = None
    failures: list[str] = field(default_factory=list)  # "step: message" of each failed step
    snapshot: Path | None = None  # the serving copy BI tools read
    report: Path | None = None  # the steward report of this run
    step_seconds: dict[str, float] = field(default_factory=dict)  # wall time of each step, slowest first

    def render(self) -> str:
        state = "succeeded" if self.success else "FAILED"
        marts = [m for m in self.models_built if m.startswith("marts/")]
        lines = [
            f"Refresh {state} in {self.seconds:.1f} s (Dagster run {self.run_id})",
            f"  files: {self.files.get('loaded', 0)} loaded, {self.files.get('skipped', 0)} skipped "
            f"(unchanged), {self.files.get('quarantined', 0)} quarantined",
        ]
        lines += [f"  failed: {failure}" for failure in self.failures]
        for asset, reasons in self.quarantine_reasons.items():
            lines.append(f"  quarantined in {asset}:")
            lines += [f"    {r}" for r in reasons]
        lines += [
            f"  dbt: {len(self.models_built)} models and seeds built, {len(marts)} of them marts",
            "  slowest steps: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in list(self.step_seconds.items())[:3]),
            f"  checks: {self.checks_passed} passed, {len(self.checks_failed)} failed"
            + (f" ({', '.join(self.checks_failed)})" if self.checks_failed else ""),
            f"  warehouse (writer): {_shown(self.warehouse)}  (marts in schema `marts`; audit.* and dq.* hold every load and check)",
            f"  marts for BI tools (read-only copy): {_shown(self.snapshot)}  (and one Parquet file per mart beside it)",
            f"  quality report: {_shown(self.report)}  (all reports: {_shown(self.report.parent / 'index.html') if self.report else '-'})",
            "  open the Dagster UI on the same runs with `make dev`",
        ]
        return "\n".join(lines)


def run_refresh(data_dir: Path | None = None, raw_dir: Path | None = None, instance=None) -> RefreshSummary:
    """Run the refresh job in-process. Tests pass temporary folders and an ephemeral instance."""
    import dagster as dg

    from orchestration.definitions import build_definitions

    data_dir = Path(data_dir or settings.data_dir()).resolve()
    defs = build_definitions(data_dir, raw_dir)
    if instance is None:
        os.environ["DAGSTER_HOME"] = str(prepare_dagster_home(data_dir))
        instance = dg.DagsterInstance.get()
    started = time.monotonic()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = defs.resolve_job_def("refresh_warehouse").execute_in_process(
        run_config=quiet, instance=instance, raise_on_error=False
    )
    summary = RefreshSummary(result.run_id, result.success, time.monotonic() - started, warehouse=settings.warehouse_path(data_dir))

    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        key = materialization.asset_key.to_user_string()
        meta = materialization.metadata
        if key.startswith("raw/"):
            for status in ("loaded", "skipped", "quarantined"):
                summary.files[status] = summary.files.get(status, 0) + int(meta[f"files_{status}"].value)
        elif key == "serving/marts_snapshot":
            summary.snapshot = Path(meta["snapshot"].value)
        elif key == "reports/quality_report":
            summary.report = Path(meta["report"].value)
        else:
            summary.models_built.append(key)
    durations = {e.step_key: e.event_specific_data.duration_ms / 1000 for e in result.all_events if e.is_step_success}
    summary.step_seconds = dict(sorted(durations.items(), key=lambda kv: -kv[1]))
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        cause = error.cause if error and error.cause else error  # the user code's exception, not Dagster's wrapper
        message = cause.message.strip() if cause else "unknown error"
        summary.failures.append(f"{event.step_key}: {message}")
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            summary.checks_passed += 1
        else:
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            summary.checks_failed.append(name)
            if evaluation.check_name == "all_files_accepted":
                reasons = evaluation.metadata["reasons"].value
                summary.quarantine_reasons[evaluation.asset_key.to_user_string()] = reasons.splitlines()
    return summary


def main(argv: list[str]) -> int:
    if argv == ["--print-dagster-home"]:  # used by `make dev`
        print(prepare_dagster_home(settings.data_dir()))
        return 0
    # One line per file committed, on stderr: operators see progress, and tests see where a load is.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("orchestration").setLevel(logging.INFO)
    def waiting(holder: str) -> None:
        print(f"another refresh is running ({holder}); waiting for it to finish", file=sys.stderr, flush=True)

    # A second `make run` waits for the first: both would write the same warehouse and Dagster home.
    with exclusive_lock(settings.data_dir() / settings.REFRESH_LOCK_FILE, on_wait=waiting):
        summary = run_refresh()
    print(summary.render())
    return 0 if summary.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
