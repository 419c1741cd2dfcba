"""Precision and recall of the extractor against a hand-made observation file of the same text.

    python -m orchestration.commands.extract_measure TEXT EXPECTED.csv --source ID --region CODE --period YEAR [--since YEAR]
        [--min-recall 0.9]

A candidate matches an expected figure when indicator, region, period, value and unit agree (values compared in the
indicator's unit). Prints recall (expected figures proposed), precision (candidates that match), and every `high`
candidate that matches nothing: the goal is none. Exits 1 when recall is below --min-recall or a high candidate is
wrong.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from orchestration import settings
from orchestration.bulletins.rules import extract
from orchestration.bulletins.text import Candidate, Context
from orchestration.bulletins.vocabulary import Vocabulary, load
from orchestration.commands.extract import period_argument, published_year
from orchestration.domain.parsing import ParseError, parse_period, parse_quantity
from orchestration.domain.units import UnitError, to_canonical


def figure_key(row: dict, vocab: Vocabulary) -> tuple | None:
    """(indicator, region, period label, value in the indicator's unit) of a row, or None."""
    indicator = vocab.indicators.get(row["indicator_code"])
    if indicator is None:
        return None
    try:
        quantity = parse_quantity(str(row["value"]))
        value = to_canonical(quantity, row["unit"], indicator.unit).value if quantity.value is not None else None
        return (row["indicator_code"], row["region_code"], parse_period(row["period"]).label, round(value or 0, 6))
    except (ParseError, UnitError):
        return None


@dataclass
class Score:
    expected: int
    proposed: int
    matched_expected: int
    matched_candidates: int
    wrong_high: list[Candidate]
    missed: list[dict]

    @property
    def recall(self) -> float:
        return self.matched_expected / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.matched_candidates / self.proposed if self.proposed else 1.0


def score(candidates: list[Candidate], expected: list[dict], vocab: Vocabulary) -> Score:
    wanted = {figure_key(r, vocab): r for r in expected}
    got = {figure_key(c.row(), vocab) for c in candidates}
    matched = [c for c in candidates if figure_key(c.row(), vocab) in wanted]
    wrong_high = [c for c in candidates if c.confidence == "high" and figure_key(c.row(), vocab) not in wanted]
    missed = [r for k, r in wanted.items() if k not in got]
    return Score(len(wanted), len(candidates), len(wanted) - len(missed), len(matched), wrong_high, missed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("text", type=Path)
    parser.add_argument("expected", type=Path)
    parser.add_argument("--source", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--period", type=period_argument, required=True)
    parser.add_argument("--since", type=int)
    parser.add_argument("--published", type=int)
    parser.add_argument("--raw", type=Path, default=settings.REPO_ROOT / "raw")
    parser.add_argument("--min-recall", type=float, default=0.9)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    vocab = load(args.raw)
    published = args.published or published_year(args.raw, args.source)
    context = Context(args.source, args.region, args.period, args.since, published)
    candidates = extract(args.text.read_text(encoding="utf-8"), vocab, context)
    with args.expected.open(encoding="utf-8-sig") as handle:
        expected = list(csv.DictReader(handle))
    result = score(candidates, expected, vocab)
    print(f"{args.text.name}: {result.expected} figures expected, {result.proposed} candidates proposed")
    print(
        f"recall {result.recall:.1%} ({result.matched_expected}/{result.expected}), precision {result.precision:.1%} ({result.matched_candidates}/{result.proposed})"
    )
    print(f"high-confidence candidates matching no expected figure: {len(result.wrong_high)}")
    for c in result.wrong_high:
        print(f"  WRONG high: {c.indicator_code} {c.region_code} {c.period} {c.value} {c.unit} ← {c.as_published!r}")
    if args.verbose:
        for r in result.missed:
            print(f"  missed: {r['indicator_code']} {r['region_code']} {r['period']} {r['value']} ← {r['as_published']!r}")
    return 0 if result.recall >= args.min_recall and not result.wrong_high else 1


if __name__ == "__main__":
    sys.exit(main())
