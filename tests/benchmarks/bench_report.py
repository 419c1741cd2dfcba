"""The steward report at scale: a refresh of many one-row publications (some refused), then the report's size, its
table rows and the time a headless browser takes to render it.

    python -m tests.benchmarks.bench_report [--files 5000] [--bad 50]

The goal (docs/quality-rules.md): a refresh of 5,000 files gives a page under 2 MB that renders in a few seconds.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from orchestration import settings
from orchestration.commands.refresh import run_refresh

HEADER = "region_code,indicator_code,period,value,unit,value_type,obs_status,qualifier,as_published,source_id,note\n"
REGIONS = ("330800", "330802", "330803", "330822", "330824", "330825", "330881")


def one_row_publications(raw: Path, files: int, bad: int) -> None:
    """`files` publications of one figure each (distinct region and year); the first `bad` name an unknown indicator."""
    for i in range(files):
        region, year = REGIONS[i % len(REGIONS)], 1980 + (i // len(REGIONS)) % 42
        indicator = "NOT_IN_CATALOGUE" if i < bad else "GDP"
        row = f"{region},{indicator},{year},{100 + i},亿元,level,normal,exact,{100 + i}亿元,zj-stats-bulletin-2023,"
        (raw / "observations" / f"bench-{i:05d}.csv").write_text(HEADER + row + "\n", encoding="utf-8")


def render_seconds(page: Path) -> float | None:
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    with tempfile.TemporaryDirectory() as profile:
        started = time.perf_counter()
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             f"--user-data-dir={profile}", "--window-size=1280,4000", f"--screenshot={profile}/shot.png", page.as_uri()],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--bad", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        raw, data = Path(tmp) / "raw", Path(tmp) / "data"
        shutil.copytree(settings.REPO_ROOT / "raw", raw)
        one_row_publications(raw, args.files, args.bad)
        started = time.perf_counter()
        summary = run_refresh(data, raw)
        refresh = time.perf_counter() - started
        page = summary.report
        text = page.read_text(encoding="utf-8")
        exports = sum(p.stat().st_size for p in (page.parent / "exports").rglob("*.csv"))
        render = render_seconds(page)
        print(f"files: {args.files + 19} ({args.bad} refused); refresh {refresh:.1f} s; verdict: {summary.verdict}")
        print(f"report page: {len(text.encode()) / 1e6:.2f} MB, {text.count('<tr')} table rows (goal: < 2 MB)")
        print(f"CSV exports beside it: {exports / 1e6:.2f} MB")
        print(f"render in headless Chromium: {render:.1f} s" if render is not None else "render: chromium not installed")


if __name__ == "__main__":
    main()
