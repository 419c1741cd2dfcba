"""The refresh on a real Spark standalone cluster, driven by the same Dagster job (`make spark-cluster-test`).

For each data set — the shipped raw/ and 10^5 synthetic observations — a DuckDB refresh (`make run`) and a Spark
refresh (`QZ_ENGINE=spark make run`, a child process) of the same raw folder; the cluster is one master, two
one-core workers and the Thrift Server, started as separate processes (orchestration/engines/spark_cluster.py) for
the Spark refresh's data folder. Every mart and quality table the Spark refresh serves must equal DuckDB's, row for
row and type for type; the master's and workers' REST APIs must show that the build ran tasks on executors of both
workers; on the shipped folder a new publication is then refreshed on both engines and compared again. The
comparisons and timings are printed (-s). The cluster is stopped at the end and its processes must be gone.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pytest
from conftest import REPO_RAW, free_port, refresh_process, write_obs

from orchestration import settings
from orchestration.engines import spark_cluster
from orchestration.engines.spark_parity import compare_warehouses, render
from orchestration.publish.serving import current_snapshot
from tests.benchmarks.generate import generate

pytestmark = [pytest.mark.spark, pytest.mark.spark_cluster]


def refresh(data: Path, raw: Path, engine: str) -> tuple[float, str]:
    """`make run` (engine duckdb) or `QZ_ENGINE=spark make run` on the folders: seconds taken and its output."""
    started = time.perf_counter()
    # QZ_SPARK_THRIFT empty: the endpoint comes from the cluster started for the data folder
    child = refresh_process(data, raw, {settings.ENGINE_ENV: engine, "QZ_SPARK_THRIFT": ""})
    out, err = child.communicate()
    seconds = time.perf_counter() - started
    assert child.returncode == 0, out[-3000:] + err[-3000:]
    return seconds, out


def free_ports() -> spark_cluster.Ports:
    first_worker_ui = free_port()
    while not all(spark_cluster._port_free(p) for p in range(first_worker_ui, first_worker_ui + spark_cluster.WORKERS)):
        first_worker_ui = free_port()
    return spark_cluster.Ports(free_port(), free_port(), free_port(), free_port(), first_worker_ui)


def tasks_by_worker(cluster: spark_cluster.Cluster) -> dict[str, int]:
    """Worker id → tasks its executors of the Thrift Server's application have run (the REST APIs of the master,
    the workers and the application)."""
    master = spark_cluster.read_json(f"{cluster.master_ui}/json/")
    (app,) = [a for a in master["activeapps"] if a["name"] == spark_cluster.THRIFT_APP_NAME]
    executors = spark_cluster.read_json(f"{cluster.thrift_ui}/api/v1/applications/{app['id']}/executors")
    tasks = {str(e["id"]): e["totalTasks"] for e in executors}
    by_worker = {}
    for worker in master["workers"]:
        mine = [
            str(e["id"])
            for e in spark_cluster.read_json(f"{worker['webuiaddress']}/json/")["executors"]
            if e["appid"] == app["id"]
        ]
        by_worker[worker["id"]] = sum(tasks.get(e, 0) for e in mine)
    return by_worker


def served(data: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(current_snapshot(data)), read_only=True) as con:
        return con.execute(sql).fetchall()


def refresh_on_both(raw: Path, duck_data: Path, spark_data: Path, up: spark_cluster.Cluster, label: str) -> tuple[str, dict]:
    """`make run` and `QZ_ENGINE=spark make run` on the raw folder; the Spark build must have run tasks on both
    workers, and every table it serves must equal DuckDB's. Prints timings and the comparison; the Spark refresh's
    output and the comparisons by table."""
    duck_seconds, _ = refresh(duck_data, raw, "duckdb")
    before = tasks_by_worker(up)
    spark_seconds, out = refresh(spark_data, raw, "spark")
    after = tasks_by_worker(up)
    comparisons = compare_warehouses(duck_data, spark_data)
    print(f"\n{label}: DuckDB {duck_seconds:.1f} s, Spark cluster {spark_seconds:.1f} s; tasks per worker: {after}")
    print(render(comparisons))
    assert f"dbt on spark ({up.thrift})" in out
    assert len(after) == spark_cluster.WORKERS and all(after[w] > before.get(w, 0) for w in after), (before, after)
    assert [c.relation for c in comparisons if not c.agrees] == []
    return out, {c.relation: c for c in comparisons}


@pytest.fixture
def cluster(tmp_path):
    data = tmp_path / "spark-data"
    started = time.perf_counter()
    up = spark_cluster.start(data, free_ports())
    print(f"\ncluster up in {time.perf_counter() - started:.1f} s\n{spark_cluster.describe(up)}")
    pids = spark_cluster._started_here(spark_cluster.cluster_dir(data))
    assert sorted(pids) == ["master", "thrift", "worker-1", "worker-2"]
    yield data, up
    stopped = spark_cluster.stop(data)
    assert sorted(stopped) == sorted(pids)
    assert not [pid for pid in pids.values() if spark_cluster._alive(pid)]  # only ours, and all of them
    assert processes_naming(spark_cluster.cluster_dir(data)) == []  # the executors too


def processes_naming(folder: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in command and spark_cluster._alive(int(cmdline.parent.name)):
            found.append(command[:200])
    return found


def test_the_shipped_folder_refreshed_on_the_cluster_serves_what_duckdb_serves(cluster, tmp_path):
    spark_data, up = cluster
    raw, duck_data = tmp_path / "raw", tmp_path / "duck-data"
    shutil.copytree(REPO_RAW, raw)
    out, _ = refresh_on_both(raw, duck_data, spark_data, up, "shipped raw/, full refresh")
    assert "Refresh succeeded" in out
    # the snapshot readers open holds the Spark marts, with the descriptions and NOT NULLs of the contract
    assert served(
        spark_data,
        "select value from marts.fct_observation where indicator_code = 'URBANISATION' "
        "and region_code = '330800' and period_label = '2021'",
    ) == [(58.1,)]
    assert served(
        spark_data, "select count(*) from duckdb_columns() where schema_name = 'marts' and comment is not null"
    ) == served(duck_data, "select count(*) from duckdb_columns() where schema_name = 'marts' and comment is not null")
    assert list(spark_data.glob("reports/report-*.html"))

    # a new publication: both engines refresh again; Spark rebuilds every figure (its figure models are tables)
    write_obs(raw, "new.csv", "330800,URBANISATION,2023,60.2,%,level,normal,exact,60.2%,qzct-2025-12-08-qz-15fyp,")
    out, _ = refresh_on_both(
        raw, duck_data, spark_data, up, "shipped raw/ + one publication (DuckDB incremental, Spark every figure)"
    )
    assert "1 loaded" in out and "on Spark every figure is rebuilt" in out
    assert served(
        spark_data,
        "select value from marts.fct_observation where indicator_code = 'URBANISATION' "
        "and region_code = '330800' and period_label = '2023'",
    ) == [(60.2,)]


def test_a_hundred_thousand_observations_refreshed_on_the_cluster_serve_what_duckdb_serves(cluster, tmp_path):
    spark_data, up = cluster
    raw, duck_data = tmp_path / "raw", tmp_path / "duck-data"
    generate(raw, 100_000)
    _, by_name = refresh_on_both(raw, duck_data, spark_data, up, "10^5 synthetic observations, full refresh")
    assert by_name["marts.fct_observation"].spark_rows == 100_000
