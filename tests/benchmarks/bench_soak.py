"""Soak: many refreshes with a small change each (one figure corrected, back and forth), printing the data folder's
size and the refresh time every 10, to show both flat once retention applies.

    python -m tests.benchmarks.bench_soak [--refreshes 100] [--retention-minutes 2]

Retention is shortened to minutes so that the limit is reached within the run (docs/operations.md): Dagster runs
and reports older than that are deleted, the newest reports and Great Expectations pages kept. What still grows is
the warehouse's own history, by design: every corrected version of the figure is kept (a few rows a refresh).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from orchestration import settings
from orchestration.commands.refresh import run_refresh

FILE = "observations/zjol-qz-income-2014.csv"
VALUES = ('22436,元,level,normal,exact,"22,436元"', '22437,元,level,normal,exact,"22,437元"')


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refreshes", type=int, default=100)
    parser.add_argument("--retention-minutes", type=float, default=2.0)
    args = parser.parse_args()
    days = args.retention_minutes / (24 * 60)
    os.environ.update(
        {
            "QZ_RETENTION_DAYS": str(days),
            "QZ_RETENTION_FAILED_DAYS": str(days),
            "QZ_RETENTION_KEEP_REPORTS": "5",
            "QZ_DATA_DOCS_KEEP_PASSED": "5",
            "QZ_SETTLE_SECONDS": "0",
        }
    )
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        raw, data = Path(tmp) / "raw", Path(tmp) / "data"
        shutil.copytree(settings.REPO_ROOT / "raw", raw)
        path = raw / FILE
        text = path.read_text(encoding="utf-8")
        print(f"{args.refreshes} refreshes, one figure corrected each time; retention {args.retention_minutes:g} min")
        print(f"{'refreshes':>9} {'data MB':>8} {'dagster MB':>10} {'reports MB':>10} {'warehouse MB':>12} {'s/refresh':>9}")
        times: list[float] = []
        for n in range(1, args.refreshes + 1):
            if n > 1:
                text = text.replace(VALUES[n % 2], VALUES[(n + 1) % 2])
                path.write_text(text, encoding="utf-8")
            started = time.perf_counter()
            summary = run_refresh(data, raw)
            times.append(time.perf_counter() - started)
            if not summary.success:
                print(summary.render())
                raise SystemExit(1)
            if n % 10 == 0 or n == 1:
                recent = times[-10:]
                print(
                    f"{n:>9} {size_mb(data):>8.1f} {size_mb(data / 'dagster_home'):>10.1f} "
                    f"{size_mb(data / 'reports'):>10.1f} {(data / 'warehouse.duckdb').stat().st_size / 1e6:>12.1f} "
                    f"{sum(recent) / len(recent):>9.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
