"""Deterministic synthetic raw folders shaped like the real one, sized by observation count.

    .venv/bin/python -m tests.benchmarks.generate <folder> <observations> [--seed N]

Same catalogues and file formats as raw/: the real catalogues and targets, plus about 2,850 county-level
regions in 31 provinces and 300 indicators; yearly (1995-2024) and monthly (2015-2024) series with a
trend and noise, one file per publication of at most 50,000 rows; a few revised figures; and a few
injected faults (one out-of-range value, one unknown region) that must be quarantined. One figure in a
thousand is republished, revised, in a later publication.
"""

from __future__ import annotations

import csv
import math
import random
import shutil
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from orchestration.settings import REPO_ROOT

ROWS_PER_FILE = 50_000
PROVINCES = [
    11,
    12,
    13,
    14,
    15,
    21,
    22,
    23,
    31,
    32,
    34,
    35,
    36,
    37,
    41,
    42,
    43,
    44,
    45,
    46,
    50,
    51,
    52,
    53,
    54,
    61,
    62,
    63,
    64,
    65,
    33,
]
PREFECTURES_PER_PROVINCE, COUNTIES_PER_PREFECTURE = 10, 9
SYNTHETIC_INDICATORS = 246  # + the 54 real ones = 300
YEARS = range(1995, 2025)
MONTHS = [f"{y}M{m:02d}" for y in range(2015, 2025) for m in range(1, 13)]
HEADER = [
    "region_code",
    "indicator_code",
    "period",
    "value",
    "unit",
    "value_type",
    "obs_status",
    "qualifier",
    "as_published",
    "source_id",
    "note",
]


@dataclass(frozen=True)
class Generated:
    raw: Path
    observations: int
    files: int
    faulty_files: int


def _regions(rng: random.Random) -> list[list[str]]:
    rows = []
    for p in PROVINCES:
        if p == 33:
            continue  # Zhejiang comes from the real catalogue
        rows.append([f"{p}0000", f"省{p}", f"Province {p}", "province", "100000"])
        for f in range(1, PREFECTURES_PER_PROVINCE + 1):
            rows.append([f"{p}{f:02d}00", f"市{p}{f:02d}", f"Prefecture {p}{f:02d}", "prefecture", f"{p}0000"])
            for c in range(1, COUNTIES_PER_PREFECTURE + 1):
                rows.append(
                    [f"{p}{f:02d}{c:02d}", f"县{p}{f:02d}{c:02d}", f"County {p}{f:02d}{c:02d}", "county", f"{p}{f:02d}00"]
                )
    return rows


def _indicators() -> list[list[str]]:
    rows = []
    for i in range(1, SYNTHETIC_INDICATORS + 1):
        share = i % 2 == 0
        rows.append(
            [
                f"SYN_{i:03d}",
                f"合成指标{i}",
                f"Synthetic indicator {i}",
                "synthetic",
                "%" if share else "亿元",
                "level",
                "higher_better" if i % 3 else "lower_better",
                "0",
                "100" if share else "1000000",
                "Synthetic, for benchmarks",
                "linear" if share else "compound",
                "",
                "" if share else "nominal",
                "",
                "",
            ]
        )  # trend_method …, price_basis, aliases, range_by_level
    return rows


def _write_csv(path: Path, header: list[str], rows: list[list[str]], append: bool = False) -> None:
    with path.open("a" if append else "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        if not append:
            writer.writerow(header)
        writer.writerows(rows)


def generate(raw: Path, observations: int, seed: int = 20220913) -> Generated:
    rng = random.Random(seed)
    if raw.exists():
        shutil.rmtree(raw)
    for folder in ("catalogue", "targets"):
        shutil.copytree(REPO_ROOT / "raw" / folder, raw / folder)
    (raw / "observations").mkdir(parents=True)

    def padded(name: str, rows: list[list[str]]) -> list[list[str]]:
        """Rows given the shipped catalogue's trailing optional columns (aliases and others, left empty)."""
        with (raw / "catalogue" / name).open(encoding="utf-8") as handle:
            columns = len(next(csv.reader(handle)))
        return [r + [""] * (columns - len(r)) for r in rows]

    _write_csv(raw / "catalogue" / "regions.csv", [], padded("regions.csv", _regions(rng)), append=True)
    _write_csv(raw / "catalogue" / "indicators.csv", [], padded("indicators.csv", _indicators()), append=True)

    regions = [r[0] for r in _regions(rng) if r[3] == "county"]
    indicators = [
        (f"SYN_{i:03d}", "%" if i % 2 == 0 else "亿元", 100.0 if i % 2 == 0 else 1_000_000.0)
        for i in range(1, SYNTHETIC_INDICATORS + 1)
    ]
    sources, files, rows, written, revisions = [], 0, [], 0, []

    def flush() -> None:
        nonlocal files, rows
        if rows:
            source = f"synthetic-bulletin-{files:05d}"
            sources.append(
                [
                    source,
                    f"合成统计公报 {files}",
                    "synthetic",
                    str(date(2024, 1, 1) + timedelta(days=files)),
                    "day",
                    "generated",
                    "official",
                    "",
                ]
            )
            _write_csv(raw / "observations" / f"{source}.csv", HEADER, [[*r[:9], source, ""] for r in rows])
            files += 1
            rows = []

    assert math.gcd(len(regions) + 1, len(indicators)) == 1, "series would repeat (region, indicator) pairs"
    series = 0
    while written < observations:
        # Each (region, indicator) series once (2,700 regions × 246 indicators is enough for 10^7 rows), and
        # consecutive series on different indicators: for one region, series s and s + k·R differ by k·(R + 1) in
        # indicator, which repeats only after all of them when gcd(R + 1, indicators) = 1 (asserted above).
        # (The former `series // R + 7 · series` gave each region 6 indicators: 10^6 rows held 777,600 keys.)
        region = regions[series % len(regions)]
        code, unit, top = indicators[(series // len(regions) + series) % len(indicators)]
        monthly = series % 5 == 0
        periods = MONTHS if monthly else [str(y) for y in YEARS]
        level = rng.uniform(0.1, 0.5) * top
        growth = rng.uniform(-0.01, 0.04) / (12 if monthly else 1)
        for period in periods:
            if written >= observations:
                break
            level = min(max(level * (1 + growth + rng.gauss(0, 0.01)), 0.0), top)
            value = f"{level:.2f}"
            shown = f"{level:,.2f}" if written % 97 == 0 else value  # some published with thousands separators
            rows.append([region, code, period, shown, unit, "level", "normal", "exact", f"{value}{unit}"])
            written += 1
            if written % 1000 == 0:  # one figure in a thousand is revised by a later publication
                # up 1 %, or down where that would leave the plausible range (the whole revision file was refused)
                revised = level * 1.01 if level * 1.01 <= top else level * 0.99
                revisions.append([region, code, period, f"{revised:.2f}", unit, "level", "normal", "exact", "revised"])
            if len(rows) >= ROWS_PER_FILE:
                flush()
        series += 1
    flush()
    for start in range(0, len(revisions), ROWS_PER_FILE):  # revision publications come last (newest)
        rows = revisions[start : start + ROWS_PER_FILE]
        flush()

    # Injected faults: must be quarantined, never loaded.
    _write_csv(
        raw / "observations" / "fault-out-of-range.csv",
        HEADER,
        [["110101", "SYN_002", "2020", "150", "%", "level", "normal", "exact", "150%", "zjrb-2022-quzhou-decade", "fault"]],
    )
    _write_csv(
        raw / "observations" / "fault-unknown-region.csv",
        HEADER,
        [["999999", "SYN_001", "2020", "1", "亿元", "level", "normal", "exact", "1亿元", "zjrb-2022-quzhou-decade", "fault"]],
    )
    _write_csv(raw / "catalogue" / "sources.csv", [], sources, append=True)
    return Generated(raw, written, files, 2)


def write_publication(raw: Path, name: str, observations: int, seed: int = 7, note: str = "") -> Path:
    """One new publication of `observations` rows (the incremental-refresh and large-file benchmarks): every
    (region, indicator) of the synthetic catalogue for 2025, then for 2024, and so on; `note` on every row."""
    rng = random.Random(seed)
    _write_csv(
        raw / "catalogue" / "sources.csv",
        [],
        [[name, "新发布 new publication", "synthetic", "2026-06-30", "day", "generated", "official", ""]],
        append=True,
    )
    rows = []
    for i in range(observations):
        region = f"{PROVINCES[i % 30]}{(i // 30) % 10 + 1:02d}{(i // 300) % 9 + 1:02d}"
        rows.append(
            [
                region,
                f"SYN_{(i // 2700) % SYNTHETIC_INDICATORS + 1:03d}",
                str(2025 - i // (2700 * SYNTHETIC_INDICATORS)),
                f"{rng.uniform(1, 99):.2f}",
                "%" if ((i // 2700) % SYNTHETIC_INDICATORS + 1) % 2 == 0 else "亿元",
                "level",
                "normal",
                "exact",
                "x",
                name,
                note,
            ]
        )
    path = raw / "observations" / f"{name}.csv"
    _write_csv(path, HEADER, rows)
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    result = generate(Path(args[0]), int(float(args[1])), int(args[3]) if len(args) > 3 else 20220913)
    print(f"{result.observations:,} observations in {result.files} files (+{result.faulty_files} faulty) under {result.raw}")
