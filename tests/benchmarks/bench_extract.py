"""How the extractor's time grows with the text: python -m tests.benchmarks.bench_extract [--megabytes 1]

Builds texts of a quarter, a half and the whole of --megabytes from the test texts (a release and two bulletins, in
turn, their figures changed so no two sentences are the same) and prints, for each, characters, numbers, candidates
and seconds. The goal (issue 32): linear in the text, a 1 MB text with 10^5 numbers in seconds.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from orchestration import settings
from orchestration.bulletins.numerals import numbers
from orchestration.bulletins.rules import extract
from orchestration.bulletins.text import Context
from orchestration.bulletins.vocabulary import load

TEXTS = Path(__file__).resolve().parents[1] / "extract"
SOURCES = ("city-release-style-2024Q1.txt", "county-bulletin-style-2023.txt", "bulletin-style-2023.txt")


def build_text(characters: int) -> str:
    parts, size, round_ = [], 0, 0
    bodies = [(TEXTS / name).read_text(encoding="utf-8") for name in SOURCES]
    while size < characters:
        body = bodies[round_ % len(bodies)].replace("1", str(round_ % 9 + 1))  # other figures, same shapes
        parts.append(body)
        size += len(body)
        round_ += 1
    return "\n\n".join(parts)[:characters]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=1.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder)
        shutil.copytree(settings.REPO_ROOT / "raw" / "catalogue", raw / "catalogue")
        extra = (TEXTS / "indicators-for-releases.csv").read_text(encoding="utf-8").split("\n", 1)[1]
        with (raw / "catalogue" / "indicators.csv").open("a", encoding="utf-8") as handle:
            handle.write(extra)
        vocab = load(raw)
    context = Context("bench", "330800", "2024", None, 2025)
    print(f"{'MB (UTF-8)':>10} {'characters':>11} {'numbers':>8} {'candidates':>10} {'seconds':>8} {'µs/char':>8}")
    for share in (0.25, 0.5, 1.0):
        text = build_text(int(args.megabytes * share * 1_000_000 / 3))  # about 3 bytes a character
        started = time.perf_counter()
        candidates = extract(text, vocab, context)
        seconds = time.perf_counter() - started
        megabytes = len(text.encode("utf-8")) / 1e6
        print(
            f"{megabytes:>10.2f} {len(text):>11,} {len(numbers(text)):>8,} {len(candidates):>10,} {seconds:>8.2f} "
            f"{seconds / len(text) * 1e6:>8.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
