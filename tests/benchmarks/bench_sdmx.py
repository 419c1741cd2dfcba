"""The SDMX files of a publication against DuckDB writing the same rows to CSV: time and memory, printed.

    python -m tests.benchmarks.bench_sdmx [--rows 1e6]

Marts of `rows` observations are made by hand (tests/support/sdmx_marts.py, the dbt contracts' columns); then, in
a process of its own so that its peak memory is its own:
  floor        DuckDB's COPY of fct_observation to a CSV file;
  files        the SDMX files as `make sdmx` writes them: the SDMX-CSV of every flow and the checks (the goal);
  first        what a publication does for SDMX (sdmx/export.py publish_release): the structures and their versions,
               every row recorded in the history ledger, the SDMX-CSV files, the history copy and the checks;
  nothing new  the same again on unchanged marts (every row compared with the history, the files reused).
The goals (judged by bench_refresh, which runs this at 10^6 in `make bench`): the files ≤ 5 × the floor, and the
peak no higher than the full refresh's at the same size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.sdmx import check, export, ledger
from orchestration.sdmx.export import publish_release
from orchestration.sdmx.flows import FLOWS
from orchestration.sdmx.structures import resolve
from tests.benchmarks.peak_memory import own_peak_mib
from tests.support import sdmx_marts


def _publication(
    con: duckdb.DuckDBPyConnection, folder: Path, release_id: str, reusable: Path | None = None
) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    con.begin()
    counts = publish_release(
        con, folder / export.SDMX_FOLDER, datetime.now(UTC), release_id, reusable and reusable / export.SDMX_FOLDER
    )
    con.commit()
    return time.perf_counter() - started, counts


def child(work: Path) -> dict:
    """The measurements on a warehouse already made (a process of its own)."""
    with duckdb.connect(str(work / "warehouse.duckdb"), config=settings.duckdb_config()) as con:
        started = time.perf_counter()
        con.execute(f"copy (select * from marts.fct_observation) to '{work / 'floor.csv'}' (header true)")
        floor = time.perf_counter() - started
        first, counts = _publication(con, work / "first", "000001")
        again, _ = _publication(con, work / "again", "000002", reusable=work / "first")
        # The SDMX files alone, as `make sdmx` writes them from the history: the CSV of every flow and the checks.
        export.fill_units(con)
        structures = resolve(con, datetime.now(UTC), "000003")
        started = time.perf_counter()
        out = work / "files"
        for flow in FLOWS:
            export.write_state(
                con, flow, ledger.history_table(flow), structures.structure_id(flow), None, out / export.data_file(flow)
            )
        shutil.copyfile(work / "first" / export.SDMX_FOLDER / export.STRUCTURE_FILE, out / export.STRUCTURE_FILE)
        assert check.folder_problems(out, export.STRUCTURE_FILE, {f.id: export.data_file(f) for f in FLOWS}) == []
        files = time.perf_counter() - started
    return {
        "floor": floor,
        "files": files,
        "first": first,
        "again": again,
        "rows": counts["DF_OBSERVATIONS"],
        "peak_mib": own_peak_mib(),
    }


def measure(rows: int) -> dict:
    """Make marts of `rows` observations and measure their SDMX in a process of its own."""
    with tempfile.TemporaryDirectory(prefix="quzhou-bench-sdmx-") as folder:
        work = Path(folder)
        sdmx_marts.build(work / "warehouse.duckdb", rows)
        measured = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.bench_sdmx", "--child", str(work)],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(measured.stdout.splitlines()[-1])


def report(m: dict) -> None:
    floor = m["floor"]
    print(f"\nSDMX of {m['rows']:,} observations: DuckDB's CSV of the same rows {floor:.2f} s, peak {m['peak_mib']:,.0f} MiB")
    measured = (
        ("the SDMX files", m["files"], "structure, SDMX-CSV of every flow, XSD and codelist checks"),
        ("first publication", m["first"], "the files and the history ledger: every row recorded, the history copied"),
        ("nothing new", m["again"], "every row compared with the history; the files of the release before reused"),
    )
    for label, seconds, what in measured:
        print(f"  {label:<18} {seconds:6.2f} s = {seconds / floor:4.1f}x the CSV   [{what}]", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    report(measure(int(args.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
