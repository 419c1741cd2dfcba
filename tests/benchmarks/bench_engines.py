"""dbt on DuckDB beside dbt on Spark (local[2]) over the same synthetic data, measured in one run. Prints one table.

    .venv/bin/python -m tests.benchmarks.bench_engines --sizes 1e5,1e6 [--work DIR]     # needs the spark extra

Per size: a synthetic raw folder (tests/benchmarks/generate.py) and a refresh (warehouse + raw zone); then the
dbt models and seeds, without tests, built on DuckDB from raw.* and on Spark from the raw zone; then every mart
and quality table compared (orchestration/engines/spark_parity.py). Spark's time includes starting its JVM (~10 s).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

from orchestration.engines.spark_parity import build_on_spark, compare_engines, dbt_build
from tests.benchmarks.bench_refresh import measured_refresh
from tests.benchmarks.generate import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e5,1e6")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="qz-engines-"))
    print(f"machine: {platform.machine()}, {platform.python_version()}; work folder {work}")
    print(f"{'observations':>12} | {'refresh s':>9} | {'dbt DuckDB s':>12} | {'dbt Spark s':>11} | tables same")
    ok = True
    for size in [int(float(s)) for s in args.sizes.split(",")]:
        raw, data = work / f"raw-{size}", work / f"data-{size}"
        generate(raw, size)
        refresh = measured_refresh(data, raw)
        duck = dbt_build(data, "local", models_only=True)
        spark = build_on_spark(data, models_only=True)
        comparisons = compare_engines(data)
        same = sum(c.agrees for c in comparisons)
        ok &= same == len(comparisons)
        print(f"{size:>12,} | {refresh['seconds']:>9.1f} | {duck:>12.1f} | {spark:>11.1f} | {same} of {len(comparisons)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
