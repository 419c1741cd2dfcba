"""Releases of the serving copy: ordered by creation, the current one never deleted, leftovers of a kill removed."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from conftest import publishing_in_2099

from orchestration.publish.serving import KEEP_RELEASES, current_snapshot, publish, serving_root
from orchestration.store.warehouse import Warehouse


@pytest.fixture
def warehouse(tmp_path):
    store = Warehouse(tmp_path / "data")
    store.data_dir.mkdir(parents=True)
    with duckdb.connect(str(store.path)) as con:
        con.execute("create schema marts; create table marts.fct_x as select 1 as x")
    return store


def test_a_clock_that_jumps_never_deletes_the_current_release(warehouse, monkeypatch):
    first = publish(warehouse)
    publishing_in_2099(monkeypatch)  # a clock years ahead, then back to normal
    publish(warehouse)
    monkeypatch.undo()
    ids = [publish(warehouse).release_id for _ in range(KEEP_RELEASES)]
    root = serving_root(warehouse.data_dir)
    assert (root / "current").resolve().name == ids[-1]  # the newest by creation, not by clock
    assert sorted(p.name for p in (root / "releases").iterdir()) == sorted(ids)
    assert first.release_id not in ids
    with duckdb.connect(str(current_snapshot(warehouse.data_dir)), read_only=True) as con:
        assert con.execute("select x from marts.fct_x").fetchone() == (1,)


def test_leftovers_of_a_killed_publication_are_removed(warehouse):
    root = serving_root(warehouse.data_dir)
    (root / "releases" / ".000009-x.partial").mkdir(parents=True)
    os.symlink("releases/nowhere", root / ".current-000009-x")
    publish(warehouse)
    assert [p.name for p in (root / "releases").iterdir() if p.name.startswith(".")] == []
    assert list(root.glob(".current-*")) == []


def test_dbt_dies_with_the_refresh_that_started_it(tmp_path):
    """qz-dbt (what Dagster runs as dbt) is killed by the kernel when its parent is SIGKILLed."""
    import signal
    import subprocess
    import sys
    import time

    from orchestration import settings

    guard = settings.dbt_executable()
    assert guard.endswith("qz-dbt"), guard
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, time; p = subprocess.Popen([{guard!r}, '300']); print(p.pid, flush=True); time.sleep(300)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "QZ_DBT": "/bin/sleep"},
    )
    child = int(parent.stdout.readline())
    time.sleep(1.0)  # the guard has exec'd into the long-running "dbt"
    with open(f"/proc/{child}/cmdline", "rb") as cmdline:
        assert cmdline.read().split(b"\0")[0].endswith(b"sleep")
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        try:
            state = Path(f"/proc/{child}/stat").read_text().split()[2]
        except FileNotFoundError:
            break
        if state == "Z":  # dead, waiting to be reaped by init
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        raise AssertionError("dbt outlived the refresh that started it")
