"""The embargo as an operator sees it: a publication prepared ahead is refused to readers until its release time, and
the Dagster daemon (as `make dev` runs it) starts the refresh that publishes it, nobody watching."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import OBS_HEADER, REPO_RAW
from test_release_times import set_sources

from orchestration import settings
from orchestration.commands.dagster_home import prepare_dagster_home
from orchestration.commands.refresh import run_refresh
from orchestration.domain import clock

pytestmark = pytest.mark.slow  # a daemon, and a refresh it starts in a process of its own

SOURCE = "test-bulletin-ahead"
WAIT_SECONDS = 300


def served_values(data: Path) -> list[float]:
    with duckdb.connect(str(data / "serving" / "current" / "snapshot.duckdb"), read_only=True) as con:
        return [v for (v,) in con.execute("select value from marts.fct_observation where source_id = ?", [SOURCE]).fetchall()]


def test_the_daemon_publishes_an_embargoed_publication_at_its_release_time(tmp_path, restore_environ):
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    release_at = clock.now_utc() + timedelta(seconds=75)  # after the first refresh, before the daemon's second look
    set_sources(raw, **{SOURCE: release_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")})
    (raw / "observations" / "ahead.csv").write_text(
        OBS_HEADER + f"330800,URBANISATION,2025,61.8,%,level,normal,exact,61.8%,{SOURCE},\n", encoding="utf-8"
    )
    first = run_refresh(data, raw, dg.DagsterInstance.ephemeral())
    assert first.success and first.files["quarantined"] == 0
    assert clock.now_utc() < release_at, "the first refresh took too long for this test's release time"
    assert served_values(data) == []  # loaded, under embargo: served nowhere

    home = prepare_dagster_home(data)
    env = {**os.environ, "DAGSTER_HOME": str(home), settings.DATA_DIR_ENV: str(data), settings.RAW_DIR_ENV: str(raw)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    log = tmp_path / "daemon.log"
    with log.open("wb") as out:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m", "orchestration.definitions"],
            cwd=settings.REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the runs it launches are stopped with it
        )
    try:
        instance = dg.DagsterInstance.from_config(str(home))
        deadline = time.monotonic() + WAIT_SECONDS
        run = None
        while time.monotonic() < deadline and (run is None or not run.is_finished):
            runs = instance.get_runs(dg.RunsFilter(tags={"quzhou/release_at": release_at.replace(microsecond=0).isoformat()}))
            run = runs[0] if runs else None
            assert daemon.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(2)
        assert run is not None, "the daemon started no refresh: " + log.read_text(errors="replace")[-3000:]
        assert run.status == dg.DagsterRunStatus.SUCCESS, log.read_text(errors="replace")[-3000:]
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=30)
    assert served_values(data) == [61.8]  # published by the refresh the sensor started
    assert len(instance.get_runs(dg.RunsFilter(tags={"quzhou/release_at": release_at.replace(microsecond=0).isoformat()}))) == 1
