"""`python -m orchestration.commands.extract_review REVIEW.csv --out raw/observations/NAME.csv`: the accepted, corrected and
added figures of a review file (bulletins/review.py) written as an observation file the next refresh loads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.bulletins.review import OBSERVATION_COLUMNS, ReviewError, observations, read_rows, tally, write_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.commands.extract_review",
        description="Write the accepted, corrected and added figures of a review file as an observation file.",
    )
    parser.add_argument("review", type=Path, help="the candidates CSV with its decision column filled")
    parser.add_argument("--out", type=Path, required=True, help="the observation file to write (raw/observations/…csv)")
    parser.add_argument("--allow-undecided", action="store_true", help="write the decided figures even if some are not")
    args = parser.parse_args(argv)
    try:
        rows = read_rows(args.review)
        figures = observations(rows, args.allow_undecided)
    except ReviewError as exc:
        print(f"review refused: {exc}", file=sys.stderr)
        return 2
    write_rows(args.out, figures, OBSERVATION_COLUMNS, for_steward=False)
    counts = tally(rows)
    print(
        f"{args.out}: {len(figures)} figure(s) written ({counts['accepted']} accepted, {counts['corrected']} corrected, "
        f"{counts['added']} added; {counts['rejected']} rejected, {counts['undecided']} undecided). The next refresh loads it."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
