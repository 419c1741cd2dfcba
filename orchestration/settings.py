"""Where things live. Every path is derived from the repo root or from one environment variable.

QZ_DATA_DIR  the data folder (default: <repo>/data) holding warehouse.duckdb, the lock file and
             Dagster's home for `make run` / `make dev`.
QZ_RAW_DIR   the folder of published source files (default: <repo>/raw).
QZ_DUCKDB_MEMORY_LIMIT  the most memory one DuckDB connection (and dbt's) may use before it spills to
             disk (default 2GB).
QZ_ENGINE    where dbt builds the marts: duckdb (default, in the warehouse file) or spark (a Spark cluster's
             Thrift Server: `make spark-cluster`, docs/scaling-out.md).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

DATA_DIR_ENV = "QZ_DATA_DIR"
RAW_DIR_ENV = "QZ_RAW_DIR"
MEMORY_LIMIT_ENV = "QZ_DUCKDB_MEMORY_LIMIT"  # profiles.yml reads the same variable for dbt
ENGINE_ENV = "QZ_ENGINE"
ENGINES = {"duckdb": "local", "spark": "spark_thrift"}  # engine → its output in dbt_project/profiles.yml

WAREHOUSE_FILE = "warehouse.duckdb"
LOCK_FILE = "warehouse.lock"  # held by every warehouse write (each file load, the dbt build)
REFRESH_LOCK_FILE = "refresh.lock"  # held by a whole `make run`: a second one waits


def duckdb_config(temp_directory: Path | None = None) -> dict[str, str | bool]:
    """Every DuckDB connection the refresh opens: no extension fetched or loaded behind our back (no network at
    run time), and memory capped so that a large table spills to disk instead of taking the machine (DuckDB's
    default is 80% of it). A file database spills beside itself; an in-memory one into `temp_directory`."""
    config: dict[str, str | bool] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or "2GB",
    }
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    return config


class CannotStartError(RuntimeError):
    """The refresh cannot start as configured (an unknown engine, no Spark cluster): the message says what to do."""


def engine() -> str:
    """The engine dbt builds the marts on; anything but a known name is refused rather than guessed."""
    value = (os.environ.get(ENGINE_ENV) or "duckdb").strip().lower()
    if value not in ENGINES:
        raise CannotStartError(f"{ENGINE_ENV}={value!r}: use one of {', '.join(ENGINES)}")
    return value


def data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or REPO_ROOT / "data").resolve()


def raw_dir() -> Path:
    return Path(os.environ.get(RAW_DIR_ENV) or REPO_ROOT / "raw").resolve()


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
    return os.environ.get("QZ_DBT") or (str(beside) if beside.exists() else shutil.which("dbt") or "dbt")


def dbt_executable() -> str:
    """What Dagster runs as dbt: `qz-dbt` (orchestration/dbt_tools/dbt_guard.py), which dies with the refresh; dbt itself
    where the wrapper is not installed."""
    guard = Path(sys.executable).with_name("qz-dbt")
    return str(guard) if guard.exists() else real_dbt_executable()
