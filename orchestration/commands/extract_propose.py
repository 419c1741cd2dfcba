"""python -m orchestration.commands.extract_propose TEXT --out raw/reviews/NAME.catalogue-proposals.csv [--raw RAW]

Propose catalogue rows for the indicators a bulletin or a release names that the catalogue lacks.

How the rows are found and what the file holds: bulletins/propose.py and docs/extracting-figures.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration import settings
from orchestration.bulletins.propose import catalogue_columns, is_proposal_file, proposal_csv, propose
from orchestration.bulletins.vocabulary import load
from orchestration.store.files import write_text_atomically


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.commands.extract_propose", description=__doc__.splitlines()[2])
    parser.add_argument("text", type=Path, help="the text (UTF-8) of a bulletin or a release")
    parser.add_argument("--out", type=Path, required=True, help="the proposal file (never the catalogue)")
    parser.add_argument("--raw", type=Path, default=settings.raw_dir(), help="the raw folder whose catalogue is known")
    args = parser.parse_args(argv)
    if args.out.exists() and not is_proposal_file(args.out):
        print(f"{args.out} exists and is not a catalogue proposal file: choose another --out", file=sys.stderr)
        return 2
    try:
        text = args.text.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        print(f"{args.text} is not UTF-8 text (byte {exc.start}): save it as UTF-8 first", file=sys.stderr)
        return 2
    proposals = propose(text, load(args.raw))
    write_text_atomically(args.out, proposal_csv(catalogue_columns(args.raw), [p.row() for p in proposals]))
    print(f"{args.out}: {len(proposals)} indicator(s) the catalogue lacks; fill indicator_code, name_en and direction")
    return 0


if __name__ == "__main__":
    sys.exit(main())
