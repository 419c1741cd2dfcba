"""The refresh at growing sizes, measured in one run on this machine. Prints one table.

    make bench                                   # 10^4, 10^5, 10^6 (SIZES=1e4,1e5,1e6,1e7 for the goals about 10^7)
    .venv/bin/python -m tests.benchmarks.bench_refresh --sizes 1e4,1e5,1e6,1e7 [--work DIR]

Per size: a synthetic raw folder (tests/benchmarks/generate.py); a full refresh (ingest + validate +
dbt + publish + report) in a fresh process, wall time and peak memory; then one new publication of
10,000 rows and an incremental refresh; a refresh with nothing new; the latency of typical BI queries on the serving copy; and,
on the largest batch validated, Great Expectations' throughput beside the same rules in plain DuckDB SQL; one
publication of 1.3 M rows ingested on its own (bench_big_file); the SDMX of 10^6 observations (bench_sdmx). Last, each
goal of issue 23 (and of issue 35 for SDMX) with its verdict
(goals.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.settings import SETTLE_SECONDS_ENV
from tests.benchmarks import bench_big_file, bench_sdmx
from tests.benchmarks.generate import generate, write_publication
from tests.benchmarks.goals import Run, table

BI_QUERIES = {
    "progress by indicator (Quzhou)": "select * from marts.mart_indicator_progress where region_code = '330800'",
    "decade change (Quzhou)": "select * from marts.mart_decade_change where region_code = '330800'",
    "one series": "select period_label, value from marts.fct_observation where indicator_code = 'SYN_002' and region_code = '110101' order by period_start",
    "ranking of regions, one indicator-year": "select region_code, value, rank() over (order by value desc) from marts.fct_observation where indicator_code = 'SYN_004' and period_label = '2020'",
    "yearly totals by theme": "select i.theme, o.start_year, count(*), avg(o.value) from marts.fct_observation o join marts.dim_indicator i using (indicator_code) where o.period_kind = 'year' group by all",
}


def measured_refresh(data: Path, raw: Path) -> dict:
    result = data.parent / f"refresh-{time.time_ns()}.json"
    env = {**os.environ, settings.DATA_DIR_ENV: str(data), settings.RAW_DIR_ENV: str(raw)}
    completed = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.measured_refresh", str(result)],
        cwd=settings.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if not result.exists():
        raise RuntimeError(f"refresh crashed:\n{completed.stderr[-3000:]}")
    return json.loads(result.read_text())


def bi_latency(snapshot: Path, repeats: int = 30) -> tuple[float, float]:
    timings = []
    with duckdb.connect(str(snapshot), read_only=True) as con:
        for sql in BI_QUERIES.values():
            con.execute(sql).fetchall()  # warm
            for _ in range(repeats):
                started = time.perf_counter()
                con.execute(sql).fetchall()
                timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]


def csv_floor(raw: Path) -> float:
    """Seconds for DuckDB alone to read every observation file as text and cast its canonical forms (the floor
    the refresh is measured against): figures with or without thousands separators, years and half-years."""
    with duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}) as con:
        started = time.perf_counter()
        con.execute(
            f"""
            create table floor as
            select
                region_code, indicator_code, period,
                try_cast(replace(value, ',', '') as double) as value,
                try_cast(left(period, 4) as integer) as year,
                unit, value_type, obs_status, qualifier, as_published, source_id, filename
            from read_csv('{(raw / "observations").as_posix()}/*.csv', header = true, all_varchar = true,
                          filename = true, union_by_name = true)
            """
        )
        return time.perf_counter() - started


def validation_throughput(raw: Path, data: Path, rows: int) -> tuple[float, float]:
    """rows/s of the GX suite vs the same rules as DuckDB SQL, on one parsed batch of `rows` rows."""
    import pandas as pd

    from orchestration.domain.families import OBSERVATIONS
    from orchestration.read.reading import read_batch
    from orchestration.store.warehouse import Warehouse
    from orchestration.validate.validation import validate_files

    with Warehouse(data).connect(read_only=True) as con:
        catalogue = Warehouse(data).catalogue(con)
    units = dict(zip(catalogue.indicators["indicator_code"], catalogue.indicators["unit"], strict=False))
    frames, total = {}, 0
    for path in sorted((raw / "observations").glob("synthetic-bulletin-*.csv")):
        if total >= rows:
            break
        frames[path.name] = read_batch(OBSERVATIONS, path, path.name, units).frame
        total += len(frames[path.name])
    validate_files(OBSERVATIONS, catalogue, {"warm": next(iter(frames.values())).head(100)})  # import GX outside the timing
    started = time.perf_counter()
    validate_files(OBSERVATIONS, catalogue, frames)
    gx_seconds = time.perf_counter() - started

    batch = pd.concat([f.assign(_file=n) for n, f in frames.items()], ignore_index=True)
    con = duckdb.connect()
    con.register("batch", batch)
    con.register("indicators", catalogue.indicators)
    con.register("regions", pd.DataFrame({"region_code": list(catalogue.region_codes)}))
    con.register("sources", pd.DataFrame({"source_id": list(catalogue.source_ids)}))
    floor_sql = """
        select
          count(*) filter (where b.region_code is null or b.indicator_code is null or b.period is null or b.unit is null
                              or b.value_type is null or b.obs_status is null or b.as_published is null or b.source_id is null),
          count(*) filter (where not regexp_full_match(b.region_code, '\\d{6}') or not regexp_full_match(b.indicator_code, '[A-Z][A-Z0-9_]*')),
          count(*) filter (where b.value_type not in ('level','change','avg_annual_growth','rank','grade','cumulative','count')
                              or b.obs_status not in ('normal','provisional','estimated','forecast','break')
                              or b.qualifier not in ('exact','approximate','lower_bound','upper_bound')),
          count(*) filter (where i.indicator_code is null), count(*) filter (where r.region_code is null),
          count(*) filter (where s.source_id is null),
          count(*) filter (where b.value < i.range_min or b.value > i.range_max or b.value_type <> i.value_type),
          count(*) filter (where regexp_matches(b.as_published, '^[=@\\t\\r]|^[+-][^0-9.\\s]')),
          count(*) filter (where year(b.period_start) > year(current_date) and b.obs_status <> 'forecast')
        from batch b
        left join indicators i using (indicator_code)
        left join regions r using (region_code)
        left join sources s using (source_id)
    """
    dup_sql = (
        "select count(*) from (select 1 from batch group by region_code, indicator_code, period_label, _file having count(*) > 1)"
    )
    started = time.perf_counter()
    con.execute(floor_sql).fetchall()
    con.execute(dup_sql).fetchall()
    sql_seconds = time.perf_counter() - started
    return total / gx_seconds, total / sql_seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1e4,1e5,1e6")
    parser.add_argument("--work", default=None, help="folder for the generated data (default: a temporary one)")
    parser.add_argument("--validation-rows", type=float, default=1e6)
    parser.add_argument("--big-file-rows", type=float, default=1.3e6, help="0: skip the one large publication")
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    os.environ[SETTLE_SECONDS_ENV] = "0"  # the files it writes are whole: read at once, not left for the next refresh
    work = Path(args.work or tempfile.mkdtemp(prefix="quzhou-bench-"))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; data under {work}",
        flush=True,
    )
    header = (
        f"{'observations':>12} | {'full refresh s':>14} | {'peak MiB':>8} | {'+10k incremental s':>18} | {'peak MiB':>8} | "
        f"{'nothing new s':>13} | {'BI p50 ms':>9} | {'BI p95 ms':>9} | {'floor s':>7}"
    )
    print(header + "\n" + "-" * len(header), flush=True)
    last, goals_run = None, Run()
    fulls, floors = goals_run.full_s, goals_run.floor_s
    for n in sizes:
        root = work / f"n{n}"
        generated = generate(root / "raw", n)
        full = measured_refresh(root / "data", root / "raw")
        write_publication(root / "raw", "new-publication-10k", 10_000)
        incremental = measured_refresh(root / "data", root / "raw")
        unchanged = measured_refresh(root / "data", root / "raw")  # the same files again: nothing to build
        p50, p95 = bi_latency(root / "data" / "serving" / "current" / "snapshot.duckdb")
        fulls[n], floors[n] = full["seconds"], csv_floor(root / "raw")
        goals_run.full_peak_mib[n], goals_run.incremental_s[n], goals_run.unchanged_s[n] = (
            full["peak_mib"],
            incremental["seconds"],
            unchanged["seconds"],
        )
        goals_run.bi_p95_ms[n] = p95
        ok = (
            ""
            if full["success"] and incremental["success"] and unchanged["success"] and unchanged["unchanged"]
            else "  (FAILED: "
            + "; ".join(
                full["failures"]
                + incremental["failures"]
                + unchanged["failures"]
                + ([] if unchanged["unchanged"] else ["the refresh with nothing new still found work"])
            )[:200]
            + ")"
        )
        print(
            f"{generated.observations:>12,} | {full['seconds']:>14.1f} | {full['peak_mib']:>8.0f} | {incremental['seconds']:>18.1f} | "
            f"{incremental['peak_mib']:>8.0f} | {unchanged['seconds']:>13.1f} | {p50:>9.2f} | {p95:>9.2f} | {floors[n]:>7.2f}{ok}",
            flush=True,
        )
        for label, run in (("full", full), ("incremental", incremental)):
            print(
                f"{'':>12}   {label} refresh steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in run["steps"].items()), flush=True
            )
        last = root
    if 100_000 in fulls and 1_000_000 in fulls:
        refresh = (fulls[1_000_000] - fulls[100_000]) / 900_000 * 1e6
        floor = (floors[1_000_000] - floors[100_000]) / 900_000 * 1e6
        print(
            f"\nmarginal cost per million rows (10^6 vs 10^5): refresh {refresh:.1f} s, floor {floor:.2f} s "
            f"(DuckDB reading and casting the same CSV files), ratio {refresh / floor:.0f}x",
            flush=True,
        )
    if last is not None:
        rows = int(min(args.validation_rows, max(sizes)))
        gx_rate, sql_rate = validation_throughput(last / "raw", last / "data", rows)
        goals_run.validation_ratio, goals_run.validation_rows = sql_rate / gx_rate, rows
        print(
            f"\nvalidation of {rows:,} rows: Great Expectations {gx_rate:,.0f} rows/s, plain DuckDB SQL {sql_rate:,.0f} rows/s, "
            f"ratio {sql_rate / gx_rate:.1f}x",
            flush=True,
        )
    if args.big_file_rows:
        big = bench_big_file.measure(int(args.big_file_rows), work / "big-file")
        goals_run.big_file_peak_mib = big["peak_mib"]
        print(
            f"\none publication of {int(args.big_file_rows):,} rows ({big['file_mib']:,.0f} MiB), ingested on its own: "
            f"{big['big_file']}, {big['seconds']:.1f} s, peak {big['peak_mib']:,.0f} MiB",
            flush=True,
        )
    sdmx_rows = min(1_000_000, max(sizes))
    goals_run.sdmx = bench_sdmx.measure(sdmx_rows)
    bench_sdmx.report(goals_run.sdmx)
    print("\ngoals (issue 23), judged on this run:\n" + table(goals_run), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
