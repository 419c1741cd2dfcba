"""The report follows the publication: it is written after the serving copy, never claims a publication that did
not happen, and a refresh that finds a publication without its report (a kill in between) writes it."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO_RAW, write_obs
from dagster import DagsterInstance

from orchestration.commands.refresh import run_refresh
from orchestration.defs import serving_assets
from orchestration.publish.serving import published_run_id

pytestmark = pytest.mark.slow
ROW = "330802,URBANISATION,2021,70.1,%,level,normal,exact,70.1%,zjrb-2022-quzhou-decade,"


def test_a_failed_publication_gets_no_report_and_a_lost_report_is_written_by_the_next_refresh(
    tmp_path, restore_environ, monkeypatch
):
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    first = run_refresh(data, raw, instance)
    assert first.success and "published" in first.report.read_text(encoding="utf-8")

    # The publication fails: no report is written that could claim it.
    write_obs(raw, "new.csv", ROW)

    def publication_fails(*args, **kwargs):
        raise OSError("the serving folder is read-only")

    with monkeypatch.context() as patch:
        patch.setattr(serving_assets, "publish", publication_fails)
        failed = run_refresh(data, raw, instance)
    assert not failed.success and failed.report is None
    assert published_run_id(data) == first.run_id

    # Published, then killed before the report (the report step fails here, as a process dying between the two
    # steps would leave it): the next refresh reports it.
    def killed(*args, **kwargs):
        raise RuntimeError("killed between publication and report")

    with monkeypatch.context() as patch:
        patch.setattr(serving_assets, "write_report", killed)
        unreported = run_refresh(data, raw, instance)
    assert not unreported.success and published_run_id(data) == unreported.run_id
    recovered = run_refresh(data, raw, instance)
    assert recovered.success and not recovered.unchanged
    assert recovered.report is not None and recovered.report != first.report
    page = recovered.report.read_text(encoding="utf-8")
    assert "observations/new.csv" in page  # the loads the lost report would have shown
    assert "NOT published" not in page and published_run_id(data) == recovered.run_id
    # and from then on a refresh with nothing new rebuilds nothing
    assert run_refresh(data, raw, instance).unchanged


def test_make_run_waits_for_a_refresh_the_daemon_started(tmp_path, restore_environ):
    """A run of the schedule or sensor (no process tag: launched by the daemon) in progress: `make run` waits for it."""
    import threading
    import time

    import dagster as dg

    from orchestration.commands.refresh import wait_for_runs_in_progress

    instance = DagsterInstance.ephemeral()

    @dg.op
    def takes_a_while():
        time.sleep(4)

    job = dg.GraphDefinition(name="daemon_refresh", node_defs=[takes_a_while]).to_job()
    other = threading.Thread(target=lambda: job.execute_in_process(instance=instance))
    other.start()
    deadline = time.monotonic() + 30
    while not instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])) and time.monotonic() < deadline:
        time.sleep(0.05)
    said: list[str] = []
    waited = wait_for_runs_in_progress(instance, said.append)
    other.join()
    (run,) = instance.get_runs()
    assert waited == [run.run_id] and "waiting for it to finish" in said[0]
    assert run.status == dg.DagsterRunStatus.SUCCESS  # it finished before the wait ended, and was not marked failed


def test_a_run_stuck_in_progress_is_not_waited_for_forever(monkeypatch):
    import dagster as dg

    from orchestration.commands.refresh import wait_for_runs_in_progress
    from orchestration.settings import RUN_WAIT_ENV

    instance = DagsterInstance.ephemeral()
    stuck = instance.create_run_for_job(dg.GraphDefinition(name="stuck", node_defs=[]).to_job())
    # a run left STARTED by a worker that died while the daemon was down
    instance.handle_run_event(stuck.run_id, dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, "stuck"))
    assert instance.get_run_by_id(stuck.run_id).status == dg.DagsterRunStatus.STARTED
    monkeypatch.setenv(RUN_WAIT_ENV, "1")
    said: list[str] = []
    assert wait_for_runs_in_progress(instance, said.append) == [stuck.run_id]
    assert "gave up waiting" in said[-1] and "Terminate" in said[-1]


def test_a_killed_make_run_is_marked_failed_and_a_daemon_run_is_not():
    """A `make run` leaves its pid in <dagster_home>/refresh_runs/<run id> while its run is in progress (a file, not
    a tag operators would see): a STARTED run whose marker names another process was killed."""
    from pathlib import Path

    import dagster as dg

    from orchestration.commands.refresh import RUN_MARKERS, fail_dead_refresh_runs

    instance = DagsterInstance.ephemeral()
    job = dg.GraphDefinition(name="refresh", node_defs=[]).to_job()
    killed, daemon = (instance.create_run_for_job(job) for _ in range(2))
    for run in (killed, daemon):
        instance.handle_run_event(run.run_id, dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, "refresh"))
    marker = Path(instance.root_directory) / RUN_MARKERS / killed.run_id
    marker.parent.mkdir(parents=True)
    marker.write_text("4194304", encoding="utf-8")  # above any pid this process has
    assert fail_dead_refresh_runs(instance) == [killed.run_id]
    assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE and not marker.exists()
    assert instance.get_run_by_id(daemon.run_id).status == dg.DagsterRunStatus.STARTED
