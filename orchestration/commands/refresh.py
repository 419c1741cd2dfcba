"""`python -m orchestration.commands.refresh`: run the whole refresh in this process and print a summary.

The run is recorded in the Dagster instance under <data dir>/dagster_home, the same one `make dev`
opens, so it shows in the UI's run history.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import settings
from orchestration.commands.dagster_home import prepare_dagster_home
from orchestration.definitions import build_definitions
from orchestration.defs import summary_keys as keys
from orchestration.defs.serving_assets import REPORT_KEY, marts_snapshot
from orchestration.engines.spark_thrift import check_ready
from orchestration.publish.serving import current_snapshot
from orchestration.read.file_snapshot import wait_until_settled
from orchestration.reconcile.family import FILE_STATUSES
from orchestration.reconcile.listing import RawFolderError, check_raw_folder, ignored_files, raw_files
from orchestration.reporting.report import latest_report
from orchestration.store.disk_space import is_no_space, no_space_verdict
from orchestration.store.files import write_text_atomically
from orchestration.store.locks import exclusive_lock
from orchestration.store.warehouse import Warehouse, WarehouseUnavailableError

# <dagster_home>/refresh_runs/<run id> holds the pid of the `make run` process running that run, to recognise the
# run after a kill. A file, not a run tag: operators see tags in the Dagster UI, and a pid means nothing to them.
RUN_MARKERS = "refresh_runs"

# Exit codes, for schedulers (docs/operations.md).
EXIT_PUBLISHED = 0  # published: all accepted, or with quarantines / conflicts / withdrawals flagged in the summary
EXIT_FAILED = 1  # a step failed: the marts and the serving copy were not (all) refreshed
EXIT_CANNOT_START = 2  # nothing ran: no raw folder or catalogues, or the warehouse is held by another program
EXIT_HELD = 3  # built, but not published: the differencing check found confidential figures given away


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
    files: dict[str, int] = field(default_factory=dict)  # per FILE_STATUSES
    figures: dict[str, int] = field(default_factory=dict)  # withdrawn / changed: served figures this run stopped or changed
    conflicts: int = 0  # figures with different values in publications of the same date (quality.qa_conflicts)
    ignored: list[str] = field(default_factory=list)  # files under raw/ no family reads
    quarantine_reasons: dict[str, list[str]] = field(default_factory=dict)  # asset -> reasons (markdown lines)
    models_built: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    warehouse: Path | None = None
    failures: list[str] = field(default_factory=list)  # "step: message" of each failed step
    snapshot: Path | None = None  # the serving copy BI tools read
    report: Path | None = None  # the steward report of this run
    step_seconds: dict[str, float] = field(default_factory=dict)  # wall time of each step, slowest first
    unchanged: bool = False  # nothing new since the last dbt build: no rebuild, no new release, no new report
    dbt_scope: str | None = None  # every figure rebuilt and why, or only those changed (audit.dbt_builds.scope)
    engine: str = "duckdb"  # where dbt built the marts: duckdb, or spark (its Thrift endpoint)
    data_dir: Path | None = None
    repaired: list[str] = field(default_factory=list)  # damaged files found and rewritten (raw zone, serving copy)
    held: list[str] = field(default_factory=list)  # confidential figures the free ones would give away: not published

    @property
    def out_of_space(self) -> bool:
        return any(is_no_space(f, self.data_dir) for f in self.failures)

    @property
    def flags(self) -> list[str]:
        """What a steward must look at although the refresh published."""
        counted = [
            (self.files.get("quarantined", 0) + self.files.get("still_quarantined", 0), "quarantined"),
            (self.files.get("deferred", 0), "still being written (will retry)"),
            (self.files.get("held", 0), "held by the shrink guard"),
            (self.figures.get("withdrawn", 0), "figures withdrawn"),
            (self.conflicts, "conflicts"),
            (self.files.get("withdrawn", 0), "withdrawn"),
        ]
        return [f"{n} {what}" for n, what in counted if n]

    @property
    def verdict(self) -> str:
        if not self.success:
            failed = no_space_verdict(self.data_dir) if self.out_of_space and self.data_dir is not None else "Refresh FAILED"
            # what readers see: the snapshot step ran in this run only when it swapped this run's release in
            if self.snapshot is not None and not self.unchanged:
                return f"{failed} after publishing: readers see this refresh's release; a step after it failed"
            return f"{failed}: readers keep the release they had"
        if self.held:
            return (
                f"Refresh HELD, NOT published: {len(self.held)} confidential figure(s) can be worked out from published "
                f"ones ({'; '.join(self.held[:3])}). Readers keep the release they had. Mark more cells confidential "
                "(conf_status D) or confirm: make confirm-disclosure"
            )
        repaired = f"; repaired {len(self.repaired)} damaged file(s): {', '.join(self.repaired[:3])}" if self.repaired else ""
        if self.flags:
            return "Refresh published WITH WARNINGS: " + ", ".join(self.flags) + " (see the quality report)" + repaired
        return "Refresh succeeded: all files accepted" + repaired

    def render(self) -> str:
        marts = [m for m in self.models_built if m.startswith("marts/")]
        lines = [
            f"{self.verdict} in {self.seconds:.1f} s (Dagster run {self.run_id})",
            f"  files: {self.files.get('loaded', 0)} loaded, {self.files.get('skipped', 0)} skipped "
            f"(unchanged), {self.files.get('quarantined', 0)} quarantined, {self.files.get('withdrawn', 0)} withdrawn, "
            f"{self.files.get('moved', 0)} moved"
            + "".join(
                f", {n} {what}"
                for n, what in (
                    (self.files.get("still_quarantined", 0), "still quarantined (unchanged since refused)"),
                    (self.files.get("deferred", 0), "deferred (still being written: the next refresh takes them)"),
                    (self.files.get("held", 0), "held (the shrink guard: the previous version is still served)"),
                )
                if n
            ),
        ]
        if self.figures.get("withdrawn") or self.figures.get("changed"):
            lines.append(
                f"  figures: {self.figures.get('changed', 0)} changed, {self.figures.get('withdrawn', 0)} withdrawn "
                "(old and new values in the quality report and audit.figure_changes)"
            )
        if self.ignored:
            lines.append(
                f"  ignored (no family reads them): {', '.join(self.ignored[:10])}" + (" …" if len(self.ignored) > 10 else "")
            )
        if self.conflicts:
            lines.append(
                f"  conflicts: {self.conflicts} figure(s) with different values on the same publication date (quality.qa_conflicts)"
            )
        lines += [f"  failed: {failure}" for failure in self.failures]
        for asset, reasons in self.quarantine_reasons.items():
            lines.append(f"  refused in {asset} (not served, unless the line says the reading before is):")
            lines += [f"    {r}" for r in reasons]
        lines += [
            "  dbt: nothing changed since the last build: no rebuild, no new release, no new report"
            if self.unchanged
            else f"  dbt on {self.engine}: {len(self.models_built)} models and seeds built, {len(marts)} of them marts"
            + (f" ({self.dbt_scope})" if self.dbt_scope else ""),
            "  slowest steps: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in list(self.step_seconds.items())[:3]),
            f"  checks: {self.checks_passed} passed, {len(self.checks_failed)} failed"
            + (f" ({', '.join(self.checks_failed)})" if self.checks_failed else ""),
            f"  warehouse (writer): {_shown(self.warehouse)}  (marts in schema `marts`; audit.* and dq.* hold every load and check)",
            f"  marts for BI tools (read-only copy): {_shown(self.snapshot)}  (and one Parquet file per mart beside it)",
            f"  SDMX (structure, one SDMX-CSV file per dataflow): {_shown(self.snapshot.parent / 'sdmx') if self.snapshot else '-'}"
            "  (`make sdmx AS_OF=…` for what was served then)",
            f"  quality report: {_shown(self.report)}  (all reports: {_shown(self.report.parent / 'index.html') if self.report else '-'})",
            "  open the Dagster UI on the same runs with `make dev`",
        ]
        return "\n".join(lines)


def run_refresh(data_dir: Path | None = None, raw_dir: Path | None = None, instance=None) -> RefreshSummary:
    """Run the refresh job in-process. Tests pass temporary folders and an ephemeral instance."""
    data_dir = Path(data_dir or settings.data_dir()).resolve()
    raw_root = Path(raw_dir or settings.raw_dir()).resolve()
    check_raw_folder(raw_root)  # one clear reason instead of a run that publishes empty marts
    engine = settings.engine()
    if engine == "spark":  # no cluster, no client or no answer: said now, not after the ingest
        engine = f"spark ({check_ready(data_dir)})"
    defs = build_definitions(data_dir, raw_root)
    if instance is None:
        os.environ["DAGSTER_HOME"] = str(prepare_dagster_home(data_dir))
        instance = dg.DagsterInstance.get()
    wait_for_runs_in_progress(instance)  # and marks the runs of dead `make run` refreshes failed
    started = time.monotonic()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    run_id = str(uuid.uuid4())
    write_text_atomically(_run_marker(instance, run_id), str(os.getpid()))
    try:
        result = defs.resolve_job_def("refresh_warehouse").execute_in_process(
            run_config=quiet, instance=instance, raise_on_error=False, run_id=run_id
        )
    finally:
        _forget_marker_unless_in_progress(instance, run_id)
    summary = RefreshSummary(
        result.run_id,
        result.success,
        time.monotonic() - started,
        warehouse=settings.warehouse_path(data_dir),
        data_dir=data_dir,
        engine=engine,
    )
    summary.ignored = ignored_files(raw_root)

    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        key = materialization.asset_key.to_user_string()
        meta = materialization.metadata
        summary.repaired += meta[keys.REPAIRED].value if keys.REPAIRED in meta else []
        if key.startswith("raw/"):
            for status in FILE_STATUSES:
                summary.files[status] = summary.files.get(status, 0) + int(meta[keys.files_key(status)].value)
            for change in keys.FIGURE_CHANGES:
                summary.figures[change] = summary.figures.get(change, 0) + int(meta[keys.figures_key(change)].value)
        elif key == marts_snapshot.key.to_user_string():
            if keys.HELD in meta:
                summary.held = list(meta[keys.HELD].value)
            else:
                summary.snapshot = Path(meta[keys.SNAPSHOT].value)
        elif key.startswith("maintenance/"):
            continue
        elif key == REPORT_KEY.to_user_string():
            summary.report = Path(meta[keys.REPORT].value)
        else:
            summary.models_built.append(key)
    durations = {e.step_key: e.event_specific_data.duration_ms / 1000 for e in result.all_events if e.is_step_success}
    summary.step_seconds = dict(sorted(durations.items(), key=lambda kv: -kv[1]))
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        cause = error.cause if error and error.cause else error  # the user code's exception, not Dagster's wrapper
        message = cause.message.strip() if cause else "unknown error"
        summary.failures.append(f"{event.step_key}: {message}")
    if result.success and not summary.models_built:
        # dbt saw nothing new (quzhou_dbt_models yielded nothing): marts, snapshot and report are the last ones.
        summary.unchanged = True
        summary.snapshot = current_snapshot(data_dir) if current_snapshot(data_dir).exists() else None
        summary.report = latest_report(data_dir)
    summary.conflicts, summary.dbt_scope = _from_warehouse(data_dir, result.run_id)
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


def _from_warehouse(data_dir: Path, run_id: str) -> tuple[int, str | None]:
    """Figures in conflict (quality.qa_conflicts) and the scope of this run's dbt build, if it built."""
    try:
        with Warehouse(data_dir).connect(read_only=True) as con:
            scope = con.execute("select any_value(scope) from audit.dbt_builds where run_id = ?", [run_id]).fetchone()[0]
            return con.execute("select count(*) from quality.qa_conflicts").fetchone()[0], scope
    except (duckdb.Error, WarehouseUnavailableError, FileNotFoundError):  # the run did not get that far: it failed and says why
        return 0, None


def fail_dead_refresh_runs(instance) -> list[str]:
    """Mark as failed the runs of earlier `make run` refreshes that were killed while STARTED.

    Every `make run` holds the refresh lock for its whole run, so under that lock a STARTED run of
    another process can only be one whose process died (SIGKILL, power loss). Left STARTED, it would
    hold Dagster's one concurrency slot and the daemon would launch nothing, ever.
    """
    dead = []
    for run in _runs_in_progress(instance):
        pid = _refresh_pid(instance, run.run_id)
        if pid is None or pid == os.getpid():  # a run the daemon launched, or this process's own
            continue
        instance.report_run_failed(
            run, message=f"the refresh process (pid {pid}) died without finishing: marked failed by the next refresh"
        )
        _run_marker(instance, run.run_id).unlink(missing_ok=True)
        dead.append(run.run_id)
    return dead


def _runs_in_progress(instance, run_ids: list[str] | None = None) -> list:
    """Runs STARTED or STARTING (of these ids, if given)."""
    statuses = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]
    return list(instance.get_runs(filters=dg.RunsFilter(statuses=statuses, run_ids=run_ids)))


def _forget_marker_unless_in_progress(instance, run_id: str) -> None:
    """A run whose end Dagster could not record (a full disk) stays STARTED: its marker stays too, so the next
    refresh knows that run's process is gone and marks it failed instead of waiting for it."""
    try:
        in_progress = _runs_in_progress(instance, [run_id])
    except Exception:  # Dagster's storage unreadable: keep the marker, the next refresh decides
        return
    if not in_progress:
        _run_marker(instance, run_id).unlink(missing_ok=True)


def _run_marker(instance, run_id: str) -> Path:
    return Path(instance.root_directory) / RUN_MARKERS / run_id


def _refresh_pid(instance, run_id: str) -> int | None:
    """The pid of the `make run` process running this run; None for a run it did not start."""
    try:
        return int(_run_marker(instance, run_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


RUN_WAIT_POLL_SECONDS = 2.0


def wait_for_runs_in_progress(instance, on_wait=None) -> list[str]:
    """Wait until no other refresh runs in this Dagster instance: one started by the schedule, the sensor or the UI
    under `make dev` (another `make run` is kept out by refresh.lock). Dagster's run queue already keeps the daemon
    from launching a run while this one is in progress (it counts every run in the instance). Returns the runs
    waited for; runs of dead `make run` refreshes are marked failed meanwhile, dead daemon runs by run monitoring.

    A run left STARTED by a worker that died while the daemon was down would be waited for forever: after
    QZ_RUN_WAIT_SECONDS the refresh goes on, saying so (its writes still wait for the warehouse lock)."""
    say = on_wait or (lambda m: print(m, file=sys.stderr, flush=True))
    limit = settings.current().run_wait_seconds
    deadline = time.monotonic() + limit
    waited: list[str] = []
    while True:
        fail_dead_refresh_runs(instance)
        running = [r.run_id for r in _runs_in_progress(instance) if _refresh_pid(instance, r.run_id) != os.getpid()]
        if not running:
            return waited
        if time.monotonic() > deadline:
            say(
                f"gave up waiting after {limit:g} s for Dagster run {running[0]}, probably stuck (its worker died): "
                "refreshing anyway; terminate it in the Dagster UI (Runs › Terminate)"
            )
            return waited
        if running[0] not in waited:
            say(f"another refresh is running (Dagster run {running[0]}); waiting for it to finish")
            waited.append(running[0])
        time.sleep(RUN_WAIT_POLL_SECONDS)


def main(argv: list[str]) -> int:
    # One line per file committed, on stderr: operators see progress, and tests see where a load is.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    # When dbt rebuilt nothing, Dagster warns once per dbt test that its check "emitted no result": expected.
    logging.getLogger("dagster._core.execution.plan.active").addFilter(lambda r: "emitted no result" not in r.getMessage())
    logging.getLogger("orchestration").setLevel(logging.INFO)

    def waiting(holder: str) -> None:
        print(f"another refresh is running ({holder}); waiting for it to finish", file=sys.stderr, flush=True)

    def settling(path: Path, seconds: float) -> None:
        print(f"waiting {seconds:.1f} s for {path.name} to settle (it was written a moment ago)", file=sys.stderr, flush=True)

    # A second `make run` waits for the first: both would write the same warehouse and Dagster home.
    try:
        with exclusive_lock(settings.data_dir() / settings.REFRESH_LOCK_FILE, on_wait=waiting):
            # a person started this refresh: a file copied in a moment ago is waited for, not deferred to the next one
            wait_until_settled(raw_files(settings.raw_dir()), settling)
            summary = run_refresh()
    except (RawFolderError, settings.CannotStartError) as exc:
        print(f"Refresh FAILED before it started: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    except Exception as exc:  # outside any step: Dagster's own storage, the Dagster home, the lock file
        if not is_no_space(exc, settings.data_dir()):
            raise
        print(no_space_verdict(settings.data_dir()))
        print(f"  {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        print("  nothing half-published: readers keep the release they had; free space and run the refresh again")
        return EXIT_FAILED
    print(summary.render())
    if not summary.success:
        return EXIT_FAILED
    return EXIT_HELD if summary.held else EXIT_PUBLISHED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
