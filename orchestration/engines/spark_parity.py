"""Build the dbt project on Spark from the raw zone, and prove it agrees with DuckDB, table by table.

    .venv/bin/python -m orchestration.engines.spark_parity [--models-only]      # after a refresh (`make run`)

Needs the spark extra (`pip install -e '.[spark]'`) and Java 17+; `make spark-test` sets both up. dbt runs
with the `spark` target of dbt_project/profiles.yml (session method, local[2]) in a child process, with its
warehouse, metastore, dbt target and logs under <data>/spark. Every mart and quality table Spark wrote (Parquet
under <data>/spark/warehouse/<schema>.db/<table>) is then read by DuckDB beside the warehouse's own table and
compared row for row: the rows of both, sorted the same way, must pair up with equal values; a floating-point
value may differ by at most REL_TOLERANCE of its size (the two engines sum, divide and raise to powers in
different orders). Prints one line per table; exits 1 when any table differs.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from orchestration import settings

REL_TOLERANCE = 1e-9  # |duckdb - spark| <= REL_TOLERANCE * max(1, |duckdb|)
COMPARED_SCHEMAS = ("marts", "quality")
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
MIN_JAVA = 17


class SparkUnavailableError(RuntimeError):
    """Java or the spark extra is missing: say what to install."""


def spark_dir(data: Path) -> Path:
    return data / "spark"


def check_requirements() -> None:
    try:
        import pyspark  # noqa: F401  (only to know it is there)
    except ImportError:
        raise SparkUnavailableError("PySpark is not installed: pip install -e '.[spark]' (or `make spark-test`)") from None
    java = shutil.which("java")
    if java is None:
        raise SparkUnavailableError(f"no Java: Spark needs Java {MIN_JAVA}+ (Debian: apt-get install openjdk-17-jre-headless)")
    version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    major = re.search(r'version "(\d+)', version)
    if major is None or int(major.group(1)) < MIN_JAVA:
        raise SparkUnavailableError(f"Spark needs Java {MIN_JAVA}+, found: {version.splitlines()[0] if version else java}")


def build_on_spark(data: Path, models_only: bool = False) -> float:
    """`dbt build --target spark` (seeds and models only, without tests, with models_only); seconds taken."""
    check_requirements()
    return dbt_build(data, "spark", models_only)


def dbt_build(data: Path, target: str, models_only: bool = False) -> float:
    """dbt on `target` (a profiles.yml output) over the data folder, logs and artefacts under <data>/<target>."""
    folder = data / ("spark" if target == "spark" else f"dbt_{target}")
    options = ["--target", target, "--target-path", str(folder / "dbt_target"), "--log-path", str(folder / "dbt_logs")]
    env = settings.dbt_environment(data)
    started = time.perf_counter()
    for verb in ("seed", "run") if models_only else ("build",):
        _run_dbt([settings.real_dbt_executable(), verb, *options], env)
    return time.perf_counter() - started


def _run_dbt(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=settings.DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        # Spark logs each failed statement as JSON on stderr; dbt's own lines say which node and why.
        lines = [line for line in done.stdout.splitlines() if not line.startswith('{"ts"')]
        raise RuntimeError(f"dbt failed ({' '.join(command[1:4])}):\n" + "\n".join(lines[-60:]))


@dataclass(frozen=True)
class TableComparison:
    relation: str
    duckdb_rows: int
    spark_rows: int
    columns: int
    differing_rows: int
    max_float_difference: float
    problem: str | None = None

    @property
    def agrees(self) -> bool:
        return self.problem is None and self.differing_rows == 0 and self.duckdb_rows == self.spark_rows


def _spark_files(data: Path, schema: str, table: str) -> list[Path]:
    return sorted((spark_dir(data) / "warehouse" / f"{schema}.db" / table).glob("*.parquet"))


def _warehouse_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and list_contains(?, table_schema) order by 1, 2",
        [catalog, list(COMPARED_SCHEMAS)],
    ).fetchall()


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()


def _reference(data: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("set TimeZone = 'UTC'")  # Spark writes instants in UTC; DuckDB's timestamps are zone-less
    con.execute(f"attach '{settings.warehouse_path(data).as_posix()}' as wh (read_only)")
    return con


def compare_engines(data: Path) -> list[TableComparison]:
    """Every table of the compared schemas in the DuckDB warehouse against the one Spark built (session target)."""
    con = _reference(data)
    comparisons = []
    for schema, table in _warehouse_tables(con, "wh"):
        files = _spark_files(data, schema, table)
        if files:
            con.execute(f"create or replace temp view spark_side as select * from read_parquet({[f.as_posix() for f in files]})")
        comparisons.append(_compare_table(con, schema, table, "spark_side" if files else None))
    return comparisons


def compare_warehouses(duckdb_data: Path, spark_data: Path) -> list[TableComparison]:
    """Every table of the compared schemas of a DuckDB refresh against those of a Spark refresh (QZ_ENGINE=spark) of
    the same raw folder: the marts the Spark refresh serves, as it imported them from the cluster. Their column types
    must be the same too."""
    con = _reference(duckdb_data)
    con.execute(f"attach '{settings.warehouse_path(spark_data).as_posix()}' as sp (read_only)")
    present = set(_warehouse_tables(con, "sp"))
    comparisons = []
    for schema, table in _warehouse_tables(con, "wh"):
        if (schema, table) not in present:
            comparisons.append(_compare_table(con, schema, table, None))
            continue
        ours = dict(_columns(con, "wh", schema, table))
        typed_apart = [
            f"{n} {t} on Spark, {ours[n]} on DuckDB"
            for n, t in _columns(con, "sp", schema, table)
            if ours.get(n) not in (None, t)
        ]
        comparison = _compare_table(con, schema, table, f"sp.{schema}.{table}")
        if typed_apart and comparison.problem is None:
            comparison = replace(comparison, problem=f"types differ: {'; '.join(typed_apart)}")
        comparisons.append(comparison)
    return comparisons


def _compare_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, spark_side: str | None) -> TableComparison:
    """wh.<schema>.<table> against the relation `spark_side` (None: Spark has no such table)."""
    relation = f"{schema}.{table}"
    columns = _columns(con, "wh", schema, table)
    duckdb_rows = con.execute(f"select count(*) from wh.{relation}").fetchone()[0]
    if spark_side is None:
        return TableComparison(relation, duckdb_rows, 0, len(columns), duckdb_rows, 0.0, "Spark wrote no table")
    spark_columns = {name for name, *_ in con.execute(f"describe {spark_side}").fetchall()}
    missing = [name for name, _ in columns if name not in spark_columns]
    spark_rows = con.execute(f"select count(*) from {spark_side}").fetchone()[0]
    if missing:
        return TableComparison(relation, duckdb_rows, spark_rows, len(columns), duckdb_rows, 0.0, f"Spark lacks {missing}")
    floats = [name for name, kind in columns if kind in FLOAT_TYPES]
    exact = [name for name, _ in columns if name not in floats]

    def side(source: str) -> str:
        # Zone-less on both sides (Spark's Parquet holds UTC instants), then one order for both: every exact
        # column first, the floats last, so a last-digit difference cannot reorder rows that agree otherwise.
        select = ", ".join(
            f'cast("{name}" as timestamp) as "{name}"' if kind.startswith("TIMESTAMP") else f'"{name}"' for name, kind in columns
        )
        order = ", ".join(f'"{name}" nulls first' for name in [*exact, *floats])
        return f"select {select}, row_number() over (order by {order}) as _pair from {source}"

    same_exact = " and ".join(f'd."{c}" is not distinct from s."{c}"' for c in exact) or "true"
    close_floats = (
        " and ".join(
            f'((d."{c}" is null and s."{c}" is null) or abs(d."{c}" - s."{c}") <= {REL_TOLERANCE} * greatest(1, abs(d."{c}")))'
            for c in floats
        )
        or "true"
    )
    max_difference = "greatest(" + ", ".join(f'coalesce(abs(d."{c}" - s."{c}"), 0)' for c in floats) + ")" if floats else "0"
    differing, worst = con.execute(
        f"""
        with d as ({side(f"wh.{relation}")}), s as ({side(spark_side)})
        select count(*) filter (where d._pair is null or s._pair is null or not ({same_exact} and {close_floats})),
               coalesce(max({max_difference}), 0)
        from d full join s on d._pair = s._pair
        """
    ).fetchone()
    return TableComparison(relation, duckdb_rows, spark_rows, len(columns), differing, float(worst))


def render(comparisons: list[TableComparison]) -> str:
    lines = [
        f"{'table':<36} {'duckdb rows':>11} {'spark rows':>10} {'columns':>7} {'differing':>9} {'max float diff':>14}  verdict",
    ]
    for c in comparisons:
        verdict = "same" if c.agrees else f"DIFFERENT{': ' + c.problem if c.problem else ''}"
        lines.append(
            f"{c.relation:<36} {c.duckdb_rows:>11,} {c.spark_rows:>10,} {c.columns:>7} {c.differing_rows:>9,} "
            f"{c.max_float_difference:>14.3g}  {verdict}"
        )
    agree = sum(c.agrees for c in comparisons)
    lines.append(f"{agree} of {len(comparisons)} tables the same on DuckDB and Spark (floats within {REL_TOLERANCE:g} relative)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="data folder of a refresh (default: QZ_DATA_DIR or ./data)")
    parser.add_argument("--models-only", action="store_true", help="seeds and models, without dbt's tests on Spark")
    args = parser.parse_args(argv)
    data = (args.data or settings.data_dir()).resolve()
    if not settings.warehouse_path(data).exists():
        print(f"no warehouse in {data}: run the refresh first (make run)", file=sys.stderr)
        return 2
    try:
        seconds = build_on_spark(data, models_only=args.models_only)
    except SparkUnavailableError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"dbt on Spark (local[2]) built from {data / 'raw_zone'} in {seconds:.1f} s")
    comparisons = compare_engines(data)
    print(render(comparisons))
    return 0 if all(c.agrees for c in comparisons) else 1


if __name__ == "__main__":
    sys.exit(main())
