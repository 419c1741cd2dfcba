"""python -m orchestration.commands.extract TEXT --source SOURCE_ID --region REGION_CODE --period PERIOD --out CANDIDATES.csv

Propose the figures of a bulletin's or an article's text as candidates for review (orchestration/bulletins/rules.py);
an existing CANDIDATES.csv keeps its decisions for the sentences that did not change (review.py). Nothing is loaded:
`python -m orchestration.commands.extract_review CANDIDATES.csv --out raw/observations/<source>.csv` writes the accepted
figures. docs/extracting-figures.md is the steward's guide.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from orchestration import settings
from orchestration.bulletins.periods import text_period
from orchestration.bulletins.review import CANDIDATE_COLUMNS, ReviewError, merge, read_rows, tally, write_rows
from orchestration.bulletins.rules import extract
from orchestration.bulletins.text import Context
from orchestration.bulletins.vocabulary import load
from orchestration.domain.parsing import ParseError


def period_argument(written: str) -> str:
    """--period: any period the warehouse knows (2023, 2023Q1, 2023H1, 2023M01-09, 2023M09, 2023年前三季度)."""
    try:
        return text_period(written)
    except ParseError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def published_year(raw: Path, source: str) -> int | None:
    with (raw / "catalogue" / "sources.csv").open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["source_id"] == source and (row.get("published_on") or "")[:4].isdigit():
                return int(row["published_on"][:4])
    return None


def read_text(path: Path) -> str:
    """The text, UTF-8 (with or without its byte-order mark); raises ValueError with what to do otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in data:
        raise ValueError("holds NUL bytes: a binary file (a PDF or a Word document?), not a text; save the text as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"is not UTF-8 (byte {exc.start}): save the text as UTF-8 (GBK texts: re-save them as UTF-8)") from None


def out_problem(out: Path, raw: Path) -> str | None:
    """Why --out may not be written: it exists and is not a review file (a catalogue, a publication, any other file),
    or it is inside the raw folder's catalogue or observations (where a review file would be read as data)."""
    resolved = out.resolve()
    for folder in ("catalogue", "observations", "targets"):
        if resolved.is_relative_to((raw / folder).resolve()):
            return f"is inside raw/{folder}/: write review files to raw/reviews/ (only `review --out` writes observations)"
    if out.exists():
        try:
            with out.open(encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle), [])
        except (OSError, UnicodeDecodeError, csv.Error):
            header = []
        if header != CANDIDATE_COLUMNS:
            return "exists and is not a review file (its header is not the candidates' columns): it is never overwritten"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.commands.extract", description=__doc__.splitlines()[2])
    parser.add_argument("text", type=Path, help="the text (UTF-8) of a bulletin or an article")
    parser.add_argument("--source", required=True, help="its source_id in raw/catalogue/sources.csv")
    parser.add_argument("--region", required=True, help="the region the text is about (a region_code)")
    parser.add_argument(
        "--period",
        type=period_argument,
        required=True,
        help="the period its figures describe: a year (2023) for a bulletin, 2023Q1, 2023H1, 2023M01-09 or 2023M09 for a release",
    )
    parser.add_argument("--since", type=int, help="the start year of 从A到B and of the span a review text covers")
    parser.add_argument("--published", type=int, help="the year of 今年 (default: the source's publication year)")
    parser.add_argument("--out", type=Path, required=True, help="the candidates CSV (decisions in it are kept)")
    parser.add_argument("--raw", type=Path, default=settings.raw_dir(), help="the raw folder whose catalogue is used")
    args = parser.parse_args(argv)
    vocab = load(args.raw)
    if args.region not in vocab.region_level:
        parser.error(f"--region {args.region} is not in {args.raw}/catalogue/regions.csv")
    published = args.published or published_year(args.raw, args.source)
    if published is None:
        print(
            f"note: {args.source} has no publication date in sources.csv: 今年 stays unread (pass --published)", file=sys.stderr
        )
    context = Context(args.source, args.region, args.period, args.since, published)
    try:
        text = read_text(args.text)
    except ValueError as exc:
        print(f"{args.text}: {exc}", file=sys.stderr)
        return 2
    if problem := out_problem(args.out, args.raw):
        print(f"--out {args.out}: {problem}", file=sys.stderr)
        return 2
    candidates = extract(text, vocab, context)
    try:
        previous = read_rows(args.out) if args.out.exists() else []
    except ReviewError as exc:
        print(f"cannot keep the decisions of {args.out}: {exc}", file=sys.stderr)
        return 2
    rows = merge(candidates, previous)
    write_rows(args.out, rows)
    counts = tally([{k: str(v) for k, v in row.items()} for row in rows])
    high = sum(1 for c in candidates if c.confidence == "high")
    print(
        f"{args.out}: {len(candidates)} candidate(s) ({high} high, {len(candidates) - high} low confidence); "
        f"{counts['accepted'] + counts['corrected'] + counts['rejected']} decision(s) kept, {counts['added']} added row(s) kept, "
        f"{counts['undecided']} to decide"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
