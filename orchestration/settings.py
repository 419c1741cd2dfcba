"""Where things live and how the refresh is tuned: every environment variable is read here, in one place
(`Settings.from_environment`), and every path derives from the repo root or from one of them.

QZ_DATA_DIR  the data folder (default: <repo>/data) holding warehouse.duckdb, the lock file and
             Dagster's home for `make run` / `make dev`.
QZ_RAW_DIR   the folder of published source files (default: <repo>/raw).
QZ_DUCKDB_MEMORY_LIMIT  the most memory one DuckDB connection (and dbt's) may use before it spills to
             disk (default 2GB).
QZ_ENGINE    where dbt builds the marts: duckdb (default, in the warehouse file) or spark (a Spark cluster's
             Thrift Server: `make spark-cluster`, docs/scaling-out.md).
The others tune one behaviour each and are listed with their defaults in docs/operations.md: QZ_SETTLE_SECONDS,
QZ_INGEST_WORKERS, QZ_SHRINK_GUARD, QZ_BACKUPS_KEPT, QZ_DATA_DOCS_KEEP_PASSED, QZ_RETENTION_DAYS,
QZ_RETENTION_FAILED_DAYS, QZ_RETENTION_KEEP_REPORTS, QZ_RUN_WAIT_SECONDS, QZ_SPARK_THRIFT, QZ_SPARK_<NAME>_PORT, QZ_DBT.
A value that is not a number where one is expected falls back to its default; an unknown engine is refused.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

DATA_DIR_ENV = "QZ_DATA_DIR"
RAW_DIR_ENV = "QZ_RAW_DIR"
MEMORY_LIMIT_ENV = "QZ_DUCKDB_MEMORY_LIMIT"  # profiles.yml reads the same variable for dbt
ENGINE_ENV = "QZ_ENGINE"
ENGINES = {"duckdb": "local", "spark": "spark_thrift"}  # engine → its output in dbt_project/profiles.yml

SETTLE_SECONDS_ENV = "QZ_SETTLE_SECONDS"
WORKERS_ENV = "QZ_INGEST_WORKERS"
SHRINK_GUARD_ENV = "QZ_SHRINK_GUARD"
BACKUPS_KEPT_ENV = "QZ_BACKUPS_KEPT"
KEEP_PASSED_ENV = "QZ_DATA_DOCS_KEEP_PASSED"
RUN_WAIT_ENV = "QZ_RUN_WAIT_SECONDS"
SPARK_THRIFT_ENV = "QZ_SPARK_THRIFT"
SPARK_PORTS = {"master": "MASTER", "master_ui": "MASTER_UI", "thrift": "THRIFT", "thrift_ui": "THRIFT_UI"}

WAREHOUSE_FILE = "warehouse.duckdb"
LOCK_FILE = "warehouse.lock"  # held by every warehouse write (each file load, the dbt build)
REFRESH_LOCK_FILE = "refresh.lock"  # held by a whole `make run`: a second one waits


class CannotStartError(RuntimeError):
    """The refresh cannot start as configured (an unknown engine, no Spark cluster): the message says what to do."""


def _number(environ: Mapping[str, str], name: str, default: float, low: float = 0.0, high: float | None = None) -> float:
    try:
        value = float(environ.get(name) or default)
    except ValueError:
        return default
    return min(max(value, low), high) if high is not None else max(value, low)


@dataclass(frozen=True)
class Settings:
    """Everything the environment configures, read and checked at once."""

    data_dir: Path
    raw_dir: Path
    engine: str  # as given: engine() refuses anything but a key of ENGINES
    duckdb_memory_limit: str = "2GB"
    settle_seconds: float = 5.0  # a file modified this recently may still be being written: the next refresh takes it
    ingest_workers: int = 0  # processes reading files; 0: the machine's cores, at most four
    shrink_guard: float = 0.2  # share of a file's served figures a new version may withdraw without a confirmation
    backups_kept: int = 2
    data_docs_keep_passed: int = 30  # GX pages of batches that all passed, kept
    retention_days: float = 90.0
    retention_failed_days: float = 365.0
    retention_keep_reports: int = 10
    run_wait_seconds: float = 3600.0  # how long `make run` waits for another refresh's run
    spark_thrift: str | None = None  # host:port of a Spark Thrift Server; None: the cluster `make spark-cluster` started
    # Ports field -> port as given, turned into a number by the cluster that uses it (a typo there stops only that)
    spark_ports: Mapping[str, str] = field(default_factory=dict)
    dbt: str | None = None  # the dbt executable, when not the one beside this Python

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        ports = {f: environ[f"QZ_SPARK_{n}_PORT"] for f, n in SPARK_PORTS.items() if environ.get(f"QZ_SPARK_{n}_PORT")}
        if environ.get("QZ_SPARK_WORKER_UI_PORT"):
            ports["worker_ui_first"] = environ["QZ_SPARK_WORKER_UI_PORT"]
        return cls(
            data_dir=Path(environ.get(DATA_DIR_ENV) or REPO_ROOT / "data").resolve(),
            raw_dir=Path(environ.get(RAW_DIR_ENV) or REPO_ROOT / "raw").resolve(),
            engine=(environ.get(ENGINE_ENV) or "duckdb").strip().lower(),
            duckdb_memory_limit=environ.get(MEMORY_LIMIT_ENV) or "2GB",
            settle_seconds=_number(environ, SETTLE_SECONDS_ENV, 5.0),
            ingest_workers=int(_number(environ, WORKERS_ENV, 0)),
            shrink_guard=_number(environ, SHRINK_GUARD_ENV, 0.2, high=1.0),
            backups_kept=int(_number(environ, BACKUPS_KEPT_ENV, 2)),
            data_docs_keep_passed=int(_number(environ, KEEP_PASSED_ENV, 30)),
            retention_days=_number(environ, "QZ_RETENTION_DAYS", 90.0),
            retention_failed_days=_number(environ, "QZ_RETENTION_FAILED_DAYS", 365.0),
            retention_keep_reports=int(_number(environ, "QZ_RETENTION_KEEP_REPORTS", 10)),
            run_wait_seconds=_number(environ, RUN_WAIT_ENV, 3600.0),
            spark_thrift=(environ.get(SPARK_THRIFT_ENV) or "").strip() or None,
            spark_ports=ports,
            dbt=environ.get("QZ_DBT") or None,
        )


def current() -> Settings:
    """The settings of this process now (tests change the environment between calls)."""
    return Settings.from_environment()


def duckdb_config(temp_directory: Path | None = None) -> dict[str, str | bool]:
    """Every DuckDB connection the refresh opens: no extension fetched or loaded behind our back (no network at
    run time), and memory capped so that a large table spills to disk instead of taking the machine (DuckDB's
    default is 80% of it). A file database spills beside itself; an in-memory one into `temp_directory`."""
    config: dict[str, str | bool] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": current().duckdb_memory_limit,
    }
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    return config


def engine() -> str:
    """The engine dbt builds the marts on; anything but a known name is refused rather than guessed."""
    value = current().engine
    if value not in ENGINES:
        raise CannotStartError(f"{ENGINE_ENV}={value!r}: use one of {', '.join(ENGINES)}")
    return value


def data_dir() -> Path:
    return current().data_dir


def raw_dir() -> Path:
    return current().raw_dir


def warehouse_path(data: Path) -> Path:
    return data / WAREHOUSE_FILE


def reports_dir(data: Path) -> Path:
    """The steward reports: one HTML page per refresh, index.html, history.json."""
    return data / "reports"


def data_docs_dir(data: Path) -> Path:
    """Great Expectations Data Docs of the refreshes, beside the reports that link to them."""
    return reports_dir(data) / "gx_data_docs"


def dbt_docs_dir(data: Path) -> Path:
    """dbt's static documentation of the models (`make docs`): static_index.html, one self-contained page."""
    return data / "dbt_docs"


def dbt_environment(data: Path) -> dict[str, str]:
    """The environment of a dbt run by hand over a data folder (profiles.yml reads QZ_DATA_DIR); no telemetry."""
    return {**os.environ, DATA_DIR_ENV: str(data), "DO_NOT_TRACK": "1"}


def real_dbt_executable() -> str:
    """The dbt installed beside this Python (the project's venv), whether or not the venv is on PATH; QZ_DBT overrides."""
    beside = Path(sys.executable).with_name("dbt")
    return current().dbt or (str(beside) if beside.exists() else shutil.which("dbt") or "dbt")


def dbt_executable() -> str:
    """What Dagster runs as dbt: `qz-dbt` (orchestration/dbt_tools/dbt_guard.py), which dies with the refresh; dbt itself
    where the wrapper is not installed."""
    guard = Path(sys.executable).with_name("qz-dbt")
    return str(guard) if guard.exists() else real_dbt_executable()
