"""A bureau table through its layout against the long CSV of the same figures: the per-figure cost of the whole
ingest (read, reshape, type, validate with Great Expectations, commit), printed side by side.

    python -m tests.benchmarks.bench_layouts [--cells 100000]

The table has periods in rows and region × indicator in 70 columns (a two-level header), each cell a figure in
every indicator's plausible range; the long file holds the same figures, one per line. The table is written twice,
as an XLSX workbook and as a legacy .xls (what the national data service gives). The goals: either workbook costs
at most 2× per figure what the long file costs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from orchestration import settings
from orchestration.domain.families import CATALOGUE_FAMILIES, OBSERVATIONS
from orchestration.read.cell_refs import column_letters
from orchestration.reconcile.family import ingest_family
from orchestration.settings import SETTLE_SECONDS_ENV
from orchestration.store.warehouse import Warehouse
from tests.support.big_publication import HEADER, INDICATORS, REGIONS

SOURCE = "zjrb-2022-quzhou-decade"


def spans(rows: int) -> list[str]:
    out = []
    for start in range(1950, 2020):
        for end in range(start + 1, 2021):
            out.append(f"{start}-{end}")
            if len(out) == rows:
                return out
    raise ValueError("at most 2,485 rows of spans")


def write_both(raw: Path, cells: int) -> int:
    columns = [(r, i) for r in REGIONS for i in INDICATORS]
    periods = spans(max(cells // len(columns), 1))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("表1")
    sheet.append(["时期", *[r for r, _ in columns]])
    sheet.append([None, *[i for _, i in columns]])
    lines = [HEADER]
    for n, period in enumerate(periods):
        values = [round((n * 7 + c * 3) % 97 / 10, 1) for c in range(len(columns))]
        sheet.append([period, *values])
        lines += [f"{r},{i},{period},{v},%,level,normal,exact,{v},{SOURCE},\n" for (r, i), v in zip(columns, values, strict=True)]
    book.save(raw / "observations" / "table.xlsx")
    _save_xls(raw / "observations" / "table.xls", columns, periods)
    (raw / "observations" / "long.csv").write_text("".join(lines), encoding="utf-8")
    spec = "\n".join(
        f'  {column_letters(c + 2)}: {{header: "{r} / {i}", region_code: "{r}", indicator_code: {i}}}'
        for c, (r, i) in enumerate(columns)
    )
    (raw / "catalogue" / "layouts").mkdir(exist_ok=True)
    for suffix in ("xlsx", "xls"):
        (raw / "catalogue" / "layouts" / f"table-{suffix}.yaml").write_text(
            f"layout: 1\nfiles: [observations/table.{suffix}]\ndialect: {{headerRows: [1, 2]}}\n"
            "rows: {first: 3, label: A, means: period}\n"
            f"columns:\n{spec}\nfixed: {{unit: '%', source_id: {SOURCE}}}\n",
            encoding="utf-8",
        )
    return len(periods) * len(columns)


def _save_xls(path: Path, columns: list[tuple[str, str]], periods: list[str]) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("表1")
    sheet.write(0, 0, "时期")
    for c, (region, indicator) in enumerate(columns, start=1):
        sheet.write(0, c, region)
        sheet.write(1, c, indicator)
    for n, period in enumerate(periods):
        sheet.write(n + 2, 0, period)
        for c in range(len(columns)):
            sheet.write(n + 2, c + 1, round((n * 7 + c * 3) % 97 / 10, 1))
    book.save(str(path))


def ingest_one(raw: Path, keep: str, data: Path) -> float:
    """Seconds to ingest the observations family holding only `keep` (catalogues loaded before, not timed)."""
    for other in (raw / "observations").iterdir():
        if other.name != keep:
            other.rename(raw / other.name)
    warehouse = Warehouse(data)
    warehouse.ensure_schema()
    for family in CATALOGUE_FAMILIES:
        ingest_family(family, raw, warehouse, "bench", data_docs=False)
    started = time.perf_counter()
    outcomes = ingest_family(OBSERVATIONS, raw, warehouse, "bench", data_docs=False)
    took = time.perf_counter() - started
    assert [o.status for o in outcomes] == ["loaded"], [(o.file_path, o.status, o.issues[:2]) for o in outcomes]
    for moved in raw.glob("*.*"):
        moved.rename(raw / "observations" / moved.name)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=100_000)
    args = parser.parse_args()
    os.environ[SETTLE_SECONDS_ENV] = "0"  # files written just now are read at once
    with tempfile.TemporaryDirectory(prefix="bench-layouts-") as tmp:
        raw = Path(tmp) / "raw"
        (raw / "observations").mkdir(parents=True)
        shutil.copytree(settings.REPO_ROOT / "raw" / "catalogue", raw / "catalogue")
        shutil.rmtree(raw / "catalogue" / "layouts")
        figures = write_both(raw, args.cells)
        long_s = ingest_one(raw, "long.csv", Path(tmp) / "data-long")
        table_s = ingest_one(raw, "table.xlsx", Path(tmp) / "data-table")
        xls_s = ingest_one(raw, "table.xls", Path(tmp) / "data-xls")
    print(f"{figures:,} figures, the same in a long CSV and in a {figures // 70:,}-row × 70-column workbook (.xlsx and .xls)")
    print(f"{'file':<32} {'seconds':>8} {'µs per figure':>14}")
    print(f"{'long CSV':<32} {long_s:>8.2f} {long_s / figures * 1e6:>14.1f}")
    print(f"{'.xlsx workbook through a layout':<32} {table_s:>8.2f} {table_s / figures * 1e6:>14.1f}")
    print(f"{'.xls workbook through a layout':<32} {xls_s:>8.2f} {xls_s / figures * 1e6:>14.1f}")
    print(f"ratio .xlsx {table_s / long_s:.2f}× (goal ≤ 2×)")
    print(f"ratio .xls {xls_s / long_s:.2f}× (goal ≤ 2×)")


if __name__ == "__main__":
    main()
