"""The same dbt project on Apache Spark agrees with DuckDB, table by table (`make spark-test`).

A fresh refresh (as `make run`, in a child process) writes the warehouse and the raw zone; dbt builds every
model on Spark (session method, local[2]) from the raw zone; every mart and quality table is compared row for
row with DuckDB's (orchestration/engines/spark_parity.py), and the comparison is printed. On the shipped raw/ with dbt's
tests and unit tests on Spark too; on a 10^5-row synthetic set (tests/benchmarks/generate.py) models only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import MARTS, REPO_RAW, refresh_process

from orchestration.engines.spark_parity import build_on_spark, compare_engines, render, spark_dir
from tests.benchmarks.generate import generate

pytestmark = pytest.mark.spark


def fresh_refresh(raw: Path, data: Path) -> None:
    child = refresh_process(data, raw)
    out, err = child.communicate()
    assert child.returncode == 0, out[-3000:] + err[-3000:]


def build_and_compare(data: Path, label: str, models_only: bool) -> list:
    seconds = build_on_spark(data, models_only=models_only)
    comparisons = compare_engines(data)
    print(f"\n{label}: dbt on Spark in {seconds:.1f} s\n{render(comparisons)}")
    return comparisons


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("spark-shipped") / "data"
    fresh_refresh(REPO_RAW, data)
    return data


def test_every_mart_built_on_spark_equals_duckdb_on_the_shipped_raw_folder(shipped):
    comparisons = build_and_compare(shipped, "shipped raw/ (dbt build: models, seeds, tests, unit tests)", models_only=False)
    compared = {c.relation for c in comparisons}
    assert {f"marts.{m}" for m in MARTS} <= compared and "quality.qa_completeness" in compared
    assert [c.relation for c in comparisons if not c.agrees] == []
    # not vacuous: the facts and the progress statuses are there on both sides
    by_name = {c.relation: c for c in comparisons}
    assert by_name["marts.fct_observation"].spark_rows > 50 and by_name["marts.mart_indicator_progress"].spark_rows >= 30


def test_the_comparison_sees_a_single_changed_figure(shipped, tmp_path):
    """Control: one value changed in Spark's copy of fct_observation is reported, and nothing else."""
    table = spark_dir(shipped) / "warehouse" / "marts.db" / "fct_observation"
    saved = tmp_path / "saved"
    shutil.copytree(table, saved)
    try:
        files = [f.as_posix() for f in sorted(table.glob("*.parquet"))]
        with duckdb.connect() as con:
            con.execute(
                f"copy (select * replace (case when indicator_code = 'URBANISATION' and region_code = '330800' "
                f"and period_label = '2021' then value + 1e-6 else value end as value) from read_parquet({files})) "
                f"to '{(tmp_path / 'changed.parquet').as_posix()}'"
            )
        for f in table.glob("*.parquet"):
            f.unlink()
        shutil.move(tmp_path / "changed.parquet", table / "part-0.parquet")
        differing = {c.relation: c.differing_rows for c in compare_engines(shipped) if not c.agrees}
        assert differing == {"marts.fct_observation": 1}
    finally:
        shutil.rmtree(table)
        shutil.copytree(saved, table)


def test_every_mart_built_on_spark_equals_duckdb_on_a_synthetic_hundred_thousand(tmp_path):
    raw, data = tmp_path / "raw", tmp_path / "data"
    generate(raw, 100_000)
    fresh_refresh(raw, data)
    comparisons = build_and_compare(data, "synthetic 10^5 observations (dbt seed + run)", models_only=True)
    assert [c.relation for c in comparisons if not c.agrees] == []
    by_name = {c.relation: c for c in comparisons}
    # every generated figure served once; the one-in-a-thousand revisions are the extra vintages
    assert by_name["marts.fct_observation"].duckdb_rows == 100_000
    assert by_name["marts.fct_observation_vintage"].duckdb_rows == 100_100
