"""Superset 6.1 as installed by following docs/operations.md, driven through its REST API: the snapshot registered
by `python -m orchestration.commands.superset`, SQL Lab with an unqualified mart name, datasets with their table
and column descriptions, chart data, and a new release seen with no query error and no error in Superset's log.

Superset lives in .bi-clients/superset (`make bi-clients`, which `make test` runs first): skipped locally without
it, a failure under CI."""

from __future__ import annotations

import os
import shutil
import subprocess

import duckdb
import pytest
from conftest import OBS_HEADER, REPO_RAW, free_port, stop_process_group, wait_for_http
from dagster import DagsterInstance

from orchestration import settings
from orchestration.commands import superset
from orchestration.commands.refresh import run_refresh
from orchestration.publish.serving import current_snapshot

pytestmark = pytest.mark.slow

SUPERSET_BIN = settings.REPO_ROOT / ".bi-clients" / "superset" / "bin"
UNQUALIFIED = "select period_label, value from fct_observation where indicator_code = 'URBANISATION' and region_code = '330800' order by period_label"


@pytest.fixture(scope="module")
def folders(tmp_path_factory, restore_environ):
    root = tmp_path_factory.mktemp("superset")
    shutil.copytree(REPO_RAW, root / "raw")
    assert run_refresh(root / "data", root / "raw", DagsterInstance.ephemeral()).success
    return root


@pytest.fixture(scope="module")
def server(folders):
    if not (SUPERSET_BIN / "superset").exists():
        if os.environ.get("CI"):
            pytest.fail("Superset is not installed: run `make bi-clients`")
        pytest.skip("Superset is not installed: run `make bi-clients`")
    home = folders / "superset"
    home.mkdir()
    config = home / "superset_config.py"
    config.write_text(
        "SECRET_KEY = 'tests-only-" + os.urandom(16).hex() + "'\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{home / 'superset.db'}'\n"
        "SCARF_ANALYTICS = False  # no telemetry\n",
        encoding="utf-8",
    )
    env = {**os.environ, "SUPERSET_CONFIG_PATH": str(config), "SUPERSET_HOME": str(home), "FLASK_APP": "superset"}
    env.pop("DAGSTER_HOME", None)
    cli = str(SUPERSET_BIN / "superset")
    for command in (
        ["db", "upgrade"],
        [
            "fab",
            "create-admin",
            "--username",
            "admin",
            "--password",
            "admin-pw",
            "--firstname",
            "A",
            "--lastname",
            "B",
            "--email",
            "a@example.org",
        ],
        ["init"],
    ):
        done = subprocess.run([cli, *command], env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    port, log = free_port(), home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [cli, "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, stopped whole below
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/health", process, log, 120)
        yield url, log
    finally:
        # Superset's dev server sometimes outlives SIGTERM by more than 30 s (a request thread still open, seen
        # once in CI): it is the test's server, so it is then killed.
        stop_process_group(process)


def _sql_lab(session: superset.Superset, database_id: int, sql: str = UNQUALIFIED) -> list[dict]:
    # the schema Superset's list offers for the marts; SQL Lab sets none for DuckDB, so this runs in main
    answer = session.call(
        "POST",
        "/api/v1/sqllab/execute/",
        {"database_id": database_id, "sql": sql, "schema": "snapshot.marts", "runAsync": False},
    )
    assert answer["status"] == "success", answer
    return answer["data"]


def _chart_data(session: superset.Superset, dataset_id: int) -> dict[str, float]:
    query = {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [
            {
                "columns": ["period_label"],
                "metrics": [{"expressionType": "SQL", "sqlExpression": "MAX(value)", "label": "value"}],
                "filters": [
                    {"col": "indicator_code", "op": "==", "val": "URBANISATION"},
                    {"col": "region_code", "op": "==", "val": "330800"},
                ],
                "orderby": [["period_label", True]],
                "row_limit": 100,
            }
        ],
        "result_format": "json",
        "result_type": "full",
    }
    (result,) = session.call("POST", "/api/v1/chart/data", query)["result"]
    assert not result.get("error"), result
    return {row["period_label"]: row["value"] for row in result["data"]}


def test_superset_as_installed_reads_the_marts_with_their_descriptions_and_each_new_release(folders, server):
    url, log = server
    snapshot = current_snapshot(folders / "data")
    assert superset.main(["--url", url, "--user", "admin", "--password", "admin-pw", "--snapshot", str(snapshot)]) == 0
    assert (
        superset.main(["--url", url, "--user", "admin", "--password", "admin-pw", "--snapshot", str(snapshot)]) == 0
    )  # again: updates
    session = superset.Superset.login(url, "admin", "admin-pw")
    (database,) = session.all("/api/v1/database/")
    assert database["database_name"] == "Quzhou indicators"
    datasets = {d["table_name"]: d for d in session.all("/api/v1/dataset/")}
    with duckdb.connect(str(snapshot), read_only=True) as con:
        marts = dict(con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall())
    assert sorted(datasets) == sorted(marts) and {d["schema"] for d in datasets.values()} == {"marts"}

    for name, comment in marts.items():  # the table's description and every column's reach the dataset
        dataset = session.call("GET", f"/api/v1/dataset/{datasets[name]['id']}")["result"]
        assert dataset["description"] == comment and comment
        assert dataset["columns"] and all(c["description"] for c in dataset["columns"]), name

    assert {r["period_label"]: r["value"] for r in _sql_lab(session, database["id"])} == {
        "2012": 45.7,
        "2021": 58.1,
        "2022": 59.3,
    }
    observation = datasets["fct_observation"]["id"]
    assert _chart_data(session, observation) == {"2012": 45.7, "2021": 58.1, "2022": 59.3}

    # a new release: the next query sees it, with no error; its confidential figure is in no dataset
    (folders / "raw" / "observations" / "new.csv").write_text(
        OBS_HEADER.strip() + ",conf_status\n"
        "330800,URBANISATION,2023,60.2,%,level,normal,exact,60.2%,qzct-2025-12-08-qz-15fyp,,\n"
        "330801,URBANISATION,2023,71.37,%,level,normal,exact,71.37%,qzct-2025-12-08-qz-15fyp,,C\n",
        encoding="utf-8",
    )
    assert run_refresh(folders / "data", folders / "raw", DagsterInstance.ephemeral()).success
    assert _chart_data(session, observation)["2023"] == 60.2
    assert {r["period_label"] for r in _sql_lab(session, database["id"])} == {"2012", "2021", "2022", "2023"}
    everywhere = " union all ".join(
        f"select '{name}' as mart from {name} as t where cast(t as varchar) like '%71.37%'" for name in marts
    )
    assert _sql_lab(session, database["id"], everywhere) == []
    assert _sql_lab(session, database["id"], "select count(*) as n from fct_observation where region_code = '330801'")[0]["n"] > 0

    errors = [line for line in log.read_text(errors="replace").splitlines() if ":ERROR:" in line]
    assert errors == []
