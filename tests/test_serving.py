"""BI tools read the serving copy while the warehouse refreshes: no errors, never a mixed snapshot."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import MARTS, REPO_RAW, write_obs
from dagster import DagsterInstance

from orchestration.commands.refresh import run_refresh
from orchestration.publish.serving import current_snapshot

pytestmark = pytest.mark.slow  # the slow lane: subprocesses, faults, repeated refreshes

HERE = Path(__file__).parent


def test_a_reader_queries_through_sqlalchemy_during_refreshes_without_errors(tmp_path, restore_environ):
    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(REPO_RAW, raw)
    instance = DagsterInstance.ephemeral()
    assert run_refresh(data, raw, instance).success
    snapshot = current_snapshot(data)
    assert snapshot.exists()

    stop, result = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-m", "support.reader", str(snapshot), str(stop), str(result)], cwd=HERE)
    try:
        time.sleep(2)
        # Two more refreshes, each bringing a new publication, so the reader sees the release change.
        write_obs(raw, "new-a.csv", "330802,URBANISATION,2021,61.5,%,level,normal,exact,61.5%,zjrb-2022-quzhou-decade,")
        assert run_refresh(data, raw, instance).success
        write_obs(raw, "new-b.csv", "330803,URBANISATION,2021,52.0,%,level,normal,exact,52.0%,zjrb-2022-quzhou-decade,")
        assert run_refresh(data, raw, instance).success
        time.sleep(1)
    finally:
        stop.touch()
        reader.wait(timeout=120)
    outcome = json.loads(result.read_text())
    assert outcome["errors"] == []
    assert outcome["mismatches"] == []
    assert outcome["queries"] > 100
    assert len(outcome["releases"]) >= 2, outcome["releases"]  # it read across at least one swap
    print(f"reader: {outcome['queries']} queries, {len(outcome['errors'])} errors, releases seen {outcome['releases']}")

    with duckdb.connect(str(snapshot), read_only=True) as con:
        tables = {
            t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
        }
        assert (
            con.execute("select count(*) from marts.fct_observation where region_code in ('330802', '330803')").fetchone()[0] == 2
        )
    assert tables == set(MARTS)
    parquet = {p.stem for p in snapshot.parent.glob("*.parquet")}
    assert parquet == tables
    assert duckdb.sql(f"select count(*) from read_parquet('{snapshot.parent / 'fct_observation.parquet'}')").fetchall()[0][0] > 80
