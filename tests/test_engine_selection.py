"""Choosing the engine (QZ_ENGINE), reaching the Spark cluster, and what the default path does not need.

Fast: no Java and no Spark here. The refresh on a running cluster is tests/test_spark_cluster.py
(`make spark-cluster-test`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_RAW, refresh_process

from orchestration import settings
from orchestration.dbt_tools.dbt_guard import data_dir_flag, spark_thrift_flag, take_flags
from orchestration.engines import spark_cluster
from orchestration.engines.spark_cluster import ClusterError
from orchestration.engines.spark_thrift import Endpoint, describe_table, duckdb_type, thrift_endpoint


def test_an_unknown_engine_is_refused_not_guessed(monkeypatch):
    monkeypatch.setenv(settings.ENGINE_ENV, "Spark ")
    assert settings.engine() == "spark"
    monkeypatch.setenv(settings.ENGINE_ENV, "postgres")
    with pytest.raises(settings.CannotStartError, match="QZ_ENGINE='postgres': use one of duckdb, spark"):
        settings.engine()
    monkeypatch.delenv(settings.ENGINE_ENV)
    assert settings.engine() == "duckdb"


def test_qz_dbt_hands_the_spark_endpoint_to_dbt_beside_the_data_folder():
    env: dict[str, str] = {}
    rest = take_flags(
        [data_dir_flag("/srv/data"), spark_thrift_flag("spark-thrift.internal:10001"), "build", "--target", "x"], env
    )
    assert rest == ["build", "--target", "x"]
    assert env == {
        settings.DATA_DIR_ENV: "/srv/data",
        "QZ_SPARK_THRIFT_HOST": "spark-thrift.internal",
        "QZ_SPARK_THRIFT_PORT": "10001",
    }
    with pytest.raises(SystemExit, match="unknown flag --qz-nope"):
        take_flags(["--qz-nope=1", "build"], {})


def test_the_endpoint_comes_from_the_environment_or_the_cluster_started_for_the_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("QZ_SPARK_THRIFT", raising=False)
    with pytest.raises(ClusterError, match=r"no Spark Thrift endpoint for .*make spark-cluster"):
        thrift_endpoint(tmp_path)
    state = spark_cluster.cluster_dir(tmp_path) / spark_cluster.STATE_FILE
    state.parent.mkdir(parents=True)
    state.write_text(
        '{"master_url": "spark://127.0.0.1:7077", "master_ui": "u", "thrift_host": "127.0.0.1", "thrift_port": 10099, '
        '"thrift_ui": "t", "worker_uis": [], "warehouse": "w", "started_at": 0}'
    )
    assert thrift_endpoint(tmp_path) == Endpoint("127.0.0.1", 10099)
    monkeypatch.setenv("QZ_SPARK_THRIFT", "spark-thrift.internal:10000")
    assert thrift_endpoint(tmp_path) == Endpoint("spark-thrift.internal", 10000)
    monkeypatch.setenv("QZ_SPARK_THRIFT", "spark-thrift.internal")
    with pytest.raises(ClusterError, match="expected host:port"):
        thrift_endpoint(tmp_path)


def test_spark_table_descriptions_are_read_into_duckdb_types():
    class Cursor:
        def execute(self, sql):
            assert sql == "describe table extended `marts`.`fct_x`"

        def fetchall(self):
            return [
                ("indicator_code", "string", "the code"),
                ("value", "double", None),
                ("period_start", "date", None),
                ("loaded_at", "timestamp", None),
                ("rank", "int", None),
                ("share", "decimal(10,2)", None),
                ("", "", ""),
                ("# Detailed Table Information", "", ""),
                ("Location", "file:/srv/quzhou/spark/warehouse/marts.db/fct_x", ""),
            ]

    table = describe_table(Cursor(), "marts", "fct_x")
    assert table.columns == [
        ("indicator_code", "varchar"),
        ("value", "double"),
        ("period_start", "date"),
        ("loaded_at", "timestamp"),
        ("rank", "integer"),
        ("share", "decimal(10,2)"),
    ]
    assert table.location == Path("/srv/quzhou/spark/warehouse/marts.db/fct_x")
    with pytest.raises(ClusterError, match="Spark type 'map<string,int>' has no DuckDB spelling"):
        duckdb_type("map<string,int>")


def test_a_spark_refresh_without_a_cluster_stops_before_it_starts_and_touches_nothing(tmp_path):
    data = tmp_path / "data"
    child = refresh_process(data, REPO_RAW, {settings.ENGINE_ENV: "spark", "QZ_SPARK_THRIFT": ""})
    out, err = child.communicate()
    assert child.returncode == 2, out + err
    assert "Refresh FAILED before it started: no Spark Thrift endpoint" in err
    assert "make spark-cluster" in err
    assert not settings.warehouse_path(data).exists()


def test_a_pid_file_naming_another_process_is_never_signalled(tmp_path):
    """A stale pid file whose number now belongs to an unrelated process (here: this test) is dropped, not obeyed."""
    pids = spark_cluster.cluster_dir(tmp_path) / "pids"
    pids.mkdir(parents=True)
    (pids / "worker-1.pid").write_text(str(os.getpid()))
    (pids / "master.pid").write_text("999999999")  # no such process
    assert spark_cluster.stop(tmp_path) == []
    assert list(pids.iterdir()) == []
    assert spark_cluster._alive(os.getpid())


def test_the_default_path_imports_neither_spark_nor_its_client():
    code = (
        "import sys\n"
        "from orchestration.definitions import build_definitions\n"
        "build_definitions(engine='duckdb')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'pyhive', 'thrift', 'py4j')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=settings.REPO_ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
