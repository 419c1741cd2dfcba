"""How long the number and period parsers take per million values.

    .venv/bin/python -m tests.benchmarks.bench_parsers [values]

Prints one line per input shape; a benchmark script, not a timed test.
"""

from __future__ import annotations

import sys
import time

from orchestration.domain.parsing import parse_period, parse_quantity

QUANTITIES = ["45.7", "1,876", "15.5万", "４５．７％", "约40", "超过229万", "2400余", "Ⅲ类", "—", "2,003.4"]
PERIODS = ["2021", "2021年", "2022H1", "2022年上半年", "2022年1-6月", "2012-2021", "2012—2021年", "十年来(2012-2021)"]


def bench(name: str, parse, samples: list[str], n: int) -> None:
    values = (samples * (n // len(samples) + 1))[:n]
    started = time.perf_counter()
    for value in values:
        parse(value)
    seconds = time.perf_counter() - started
    print(
        f"{name:<16} {n:>10,} values  {seconds:6.2f} s  = {seconds * 1e6 / n:6.2f} s per million  ({n / seconds:,.0f} values/s)"
    )


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 1_000_000
    print(f"Python {sys.version.split()[0]}, one core")
    bench("parse_quantity", parse_quantity, QUANTITIES, n)
    bench("parse_period", parse_period, PERIODS, n)
    for sample in QUANTITIES:
        bench(f"  {sample}", parse_quantity, [sample], n // 10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
