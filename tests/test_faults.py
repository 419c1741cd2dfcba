"""Faults: a refresh killed mid-load, two refreshes at once, a warehouse held by another process."""

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_RAW, refresh_process, write_obs
from dagster import DagsterInstance
from support.big_publication import write_big_publication

from orchestration import settings
from orchestration.commands.refresh import run_refresh
from orchestration.dbt_tools.build_scope import BuildScope
from orchestration.store.warehouse import Warehouse

pytestmark = pytest.mark.slow  # the slow lane: subprocesses, faults, repeated refreshes

MARTS = [
    "fct_observation",
    "fct_observation_vintage",
    "fct_target",
    "mart_indicator_progress",
    "mart_decade_change",
    "dim_indicator",
]
PER_LOAD = {"load_id", "file_line"}  # differ between warehouses by construction


def marts(data: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        out = {}
        for table in MARTS:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if c not in PER_LOAD
            ]
            out[table] = con.execute(f"select {', '.join(columns)} from marts.{table} order by all").fetchall()
        return out


def test_refresh_killed_during_a_commit_leaves_no_partial_load(tmp_path, restore_environ):
    raw = tmp_path / "raw"
    shutil.copytree(REPO_RAW, raw)
    rows = write_big_publication(raw / "observations" / "big-publication.csv")
    data = tmp_path / "data"

    child = refresh_process(data, raw)
    seen = []
    deadline = time.monotonic() + 300
    for line in child.stderr:  # the child says "committing <file> (<n> rows)" just before BEGIN
        seen.append(line)
        if line.startswith("committing observations/big-publication.csv"):
            child.send_signal(signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "the child never reached the big commit"
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert not any(line.startswith("loaded observations/big-publication.csv") for line in seen)

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        partial = con.execute(
            "select count(*) from raw.observations where _file_path = 'observations/big-publication.csv'"
        ).fetchone()[0]
        recorded = con.execute(
            "select count(*) from audit.loads where file_path = 'observations/big-publication.csv'"
        ).fetchone()[0]
    assert (partial, recorded) == (0, 0), "a killed commit must leave nothing behind"

    resumed = run_refresh(data, raw, DagsterInstance.ephemeral())
    assert resumed.success and resumed.files["loaded"] >= 1

    clean = tmp_path / "uninterrupted"
    assert run_refresh(clean, raw, DagsterInstance.ephemeral()).success
    assert marts(data) == marts(clean)
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert (
            con.execute("select count(*) from raw.observations where _file_path = 'observations/big-publication.csv'").fetchone()[
                0
            ]
            == rows
        )


def test_a_second_refresh_waits_for_the_first_and_loads_nothing_twice(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(REPO_RAW, raw)
    data = tmp_path / "data"
    first = refresh_process(data, raw)
    # Start the second once the first holds the refresh lock, so that it must wait (on a loaded machine the
    # first could otherwise finish before the second even reaches the lock).
    lock = data / settings.REFRESH_LOCK_FILE
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text().strip() == f"pid {first.pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    second = refresh_process(data, raw)
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    files = sorted(line.strip() for out, _ in outputs for line in out.splitlines() if line.strip().startswith("files:"))
    assert files == [
        "files: 0 loaded, 14 skipped (unchanged), 0 quarantined, 0 withdrawn, 0 moved",
        "files: 14 loaded, 0 skipped (unchanged), 0 quarantined, 0 withdrawn, 0 moved",
    ]
    assert sum("another refresh is running (pid" in err for _, err in outputs) == 1  # the second one said it waited
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), count(distinct file_path) from audit.loads").fetchone() == (14, 14)


def test_a_warehouse_held_by_another_process_gives_a_clear_error(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(REPO_RAW, raw)
    data = tmp_path / "data"
    data.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(data / 'warehouse.duckdb')!r}); print('open', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        out, err = refresh_process(data, raw).communicate(timeout=300)
    finally:
        holder.kill()
    assert "Refresh FAILED" in out
    assert "is open in another process" in out and f"(PID {holder.pid})" in out
    assert "Traceback" not in out + err


def test_a_build_whose_publication_was_lost_is_built_and_published_again(tmp_path, restore_environ):
    """A refresh killed after dbt built the marts but before the snapshot was published must not leave the
    next refresh thinking nothing changed: a build counts only once its marts are the ones served."""
    from orchestration.publish.serving import current_snapshot, published_run_id

    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    first = run_refresh(data, raw, instance)
    assert first.success and published_run_id(data) == first.run_id
    assert run_refresh(data, raw, instance).unchanged  # nothing new: nothing rebuilt

    current_snapshot(data).parent.unlink()  # the publication of the last build is gone (as if killed first)
    again = run_refresh(data, raw, instance)
    assert again.success and not again.unchanged and "marts/fct_observation" in again.models_built
    assert published_run_id(data) == again.run_id


def test_after_a_build_that_did_not_finish_every_figure_is_rebuilt(tmp_path, restore_environ):
    """A dbt build killed or failed half-way may leave some incremental tables updated and others not: the next
    build must not start from them, whatever is new."""
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    assert run_refresh(data, raw, instance).success
    warehouse = Warehouse(data)
    warehouse.begin_dbt_build("killed-run", BuildScope(None, ("observations/new.csv",), ()))  # what a killed build leaves
    with warehouse.connect() as con:  # ... with one of its tables half done
        con.execute("delete from marts.fct_observation where indicator_code = 'GDP'")

    write_obs(raw, "new.csv", "330802,URBANISATION,2021,70,%,level,normal,exact,70%,zjrb-2022-quzhou-decade,")
    again = run_refresh(data, raw, instance)
    assert again.success and again.dbt_scope == "every figure rebuilt: the last build did not finish"
    with warehouse.connect(read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_observation where indicator_code = 'GDP'").fetchone()[0] > 0
