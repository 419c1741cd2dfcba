"""One large publication ingested on its own: wall time and peak memory of the process against the file's size.

    .venv/bin/python -m tests.benchmarks.bench_big_file [--rows 1.3e6] [--work DIR]

A synthetic raw folder (tests/benchmarks/generate.py, 10^4 observations) gets one more publication of `--rows`
rows with a long note on each (1.3 M rows make a ~210 MB file, as a national bulletin might); a fresh process
ingests the catalogues, then the observations family, and reports its peak resident memory. The goal (issue 11):
memory bounded by the largest file, not by the family, and a 1.3 M-row file in at most 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestration import settings
from orchestration.settings import SETTLE_SECONDS_ENV
from tests.benchmarks.generate import generate, write_publication
from tests.benchmarks.peak_memory import own_peak_mib

NOTE = "合成数据：按省、地市、县三级汇总的年度指标，口径与上年一致，数值为初步核算数，后续以统计年鉴为准。"


def _ingest(raw: Path, data: Path) -> dict:
    """In the child: every family as the refresh ingests it (no Dagster, no dbt), timed and measured."""
    from orchestration.domain.families import ALL_FAMILIES
    from orchestration.reconcile.family import ingest_family
    from orchestration.store.warehouse import Warehouse

    warehouse = Warehouse(data)
    warehouse.ensure_schema()
    started, statuses = time.perf_counter(), {}
    for family in ALL_FAMILIES:
        for outcome in ingest_family(family, raw, warehouse, "bench-big-file"):
            statuses[outcome.file_path] = outcome.status
    return {
        "seconds": time.perf_counter() - started,
        "peak_mib": own_peak_mib(),
        "big_file": statuses.get("observations/big-publication.csv"),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=float, default=1.3e6)
    parser.add_argument("--work", default=None)
    parser.add_argument("--child", nargs=2, metavar=("RAW", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_ingest(Path(args.child[0]), Path(args.child[1]))))
        return 0

    try:
        result = measure(int(args.rows), Path(args.work or tempfile.mkdtemp(prefix="quzhou-big-file-")))
    except RuntimeError as failure:
        print(failure, file=sys.stderr)
        return 1
    print(
        f"one publication of {int(args.rows):,} rows, {result['file_mib']:,.0f} MiB on disk: {result['big_file']}; "
        f"ingest of the folder {result['seconds']:.1f} s, peak memory {result['peak_mib']:,.0f} MiB (goal: at most 1,024 MiB)"
    )
    return 0


def measure(rows: int, work: Path) -> dict:
    """A raw folder with one publication of `rows` rows, ingested in a fresh process: seconds, peak MiB, status."""
    raw = work / "raw"
    generate(raw, 10_000)
    path = write_publication(raw, "big-publication", rows, note=NOTE)
    child = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_big_file", "--child", str(raw), str(work / "data")],
        cwd=settings.REPO_ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0", SETTLE_SECONDS_ENV: "0"},  # the file written just now is whole
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise RuntimeError(child.stderr[-3000:])
    return {**json.loads(child.stdout.strip().splitlines()[-1]), "file_mib": path.stat().st_size / 2**20}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
