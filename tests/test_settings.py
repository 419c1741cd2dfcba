"""The settings object (orchestration/settings.py): every environment variable read in one place, with its default
and its bounds (an unknown engine's refusal: test_engine_selection.py)."""

from __future__ import annotations

from orchestration import settings
from orchestration.settings import Settings


def test_defaults_from_an_empty_environment():
    given = Settings.from_environment({})
    assert given.data_dir == (settings.REPO_ROOT / "data").resolve() and given.raw_dir == (settings.REPO_ROOT / "raw").resolve()
    assert (given.engine, given.duckdb_memory_limit, given.settle_seconds, given.shrink_guard) == ("duckdb", "2GB", 5.0, 0.2)
    assert (given.backups_kept, given.data_docs_keep_passed, given.retention_keep_reports) == (2, 30, 10)
    assert given.spark_thrift is None and dict(given.spark_ports) == {}


def test_values_are_read_bounded_and_a_typo_falls_back_to_the_default(tmp_path):
    given = Settings.from_environment(
        {
            settings.DATA_DIR_ENV: str(tmp_path),
            settings.SHRINK_GUARD_ENV: "1.7",  # a share: at most all of a file's figures
            settings.SETTLE_SECONDS_ENV: "-3",  # no negative waits
            settings.BACKUPS_KEPT_ENV: "two",  # not a number: the default
            settings.WORKERS_ENV: "3",
            "QZ_RETENTION_DAYS": "0.5",
            "QZ_SPARK_THRIFT_PORT": "10001",
            settings.SPARK_THRIFT_ENV: " spark.internal:10000 ",
        }
    )
    assert given.data_dir == tmp_path.resolve()
    assert (given.shrink_guard, given.settle_seconds, given.backups_kept, given.ingest_workers) == (1.0, 0.0, 2, 3)
    assert given.retention_days == 0.5 and dict(given.spark_ports) == {"thrift": "10001"}
    assert given.spark_thrift == "spark.internal:10000"


def test_a_typo_in_a_spark_port_stops_only_the_cluster_that_uses_it():
    given = Settings.from_environment({"QZ_SPARK_MASTER_PORT": "70x7"})
    assert given.engine == "duckdb" and dict(given.spark_ports) == {"master": "70x7"}
