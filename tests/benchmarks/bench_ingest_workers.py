"""The ingest with its files read by one process and by a pool, measured in one run. Prints one table.

    .venv/bin/python -m tests.benchmarks.bench_ingest_workers --sizes 1e6 --workers 1,2 [--work DIR]

Per size: one synthetic raw folder (tests/benchmarks/generate.py, files of 50,000 rows); per worker count
(QZ_INGEST_WORKERS), a full refresh from scratch in a fresh process (as `make run`): the observations' ingest step
(read, parse, validate, commit), the whole refresh, and peak memory (the largest single process: the refresh, a
reading worker or dbt). The served marts must be the same whatever the count (their row counts are compared).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from pathlib import Path

import duckdb

from orchestration.settings import WORKERS_ENV
from tests.benchmarks.bench_refresh import measured_refresh
from tests.benchmarks.generate import generate


def served_rows(data: Path) -> int:
    with duckdb.connect(str(data / "serving" / "current" / "snapshot.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from marts.fct_observation").fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e6")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="qz-bench-ingest-"))
    print(f"machine: {os.cpu_count()} cores, {platform.python_version()}; work folder {work}")
    print(f"{'observations':>12} {'workers':>7} {'ingest step':>11} {'refresh':>9} {'peak':>9} {'served rows':>11}")
    for size in (int(float(s)) for s in args.sizes.split(",")):
        raw = work / f"raw-{size}"
        generate(raw, size)
        for count in (int(w) for w in args.workers.split(",")):
            os.environ[WORKERS_ENV] = str(count)
            data = work / f"data-{size}-{count}"
            result = measured_refresh(data, raw)
            step = result["steps"].get("raw__observations", float("nan"))
            print(
                f"{size:>12,} {count:>7} {step:>10.1f}s {result['seconds']:>8.1f}s {result['peak_mib']:>6.0f} MiB "
                f"{served_rows(data):>11,}" + ("" if result["success"] else f"  FAILED: {result['failures']}")
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
