"""`python -m orchestration.confirm FILE [--note TEXT]` (or `make confirm FILE=...`): a steward accepts the version of
a raw file that the shrink guard held, so that the next refresh serves it.

FILE is the path under the raw folder the report and the verdict name (observations/foo.csv). Only the version held
(by its content hash) is confirmed: if the file changes again, the guard looks at the new version afresh.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from orchestration import settings
from orchestration.ingest.file_snapshot import sha256_hex
from orchestration.schema.families import FACT_FAMILIES
from orchestration.store.warehouse import Warehouse


def confirm(file_path: str, note: str | None = None) -> str:
    """Confirm the held version of `file_path`; returns what was done, raises ValueError when nothing is held."""
    warehouse = Warehouse(settings.data_dir())
    if not warehouse.path.exists():
        raise ValueError(f"no warehouse at {warehouse.path}: nothing is held")
    with warehouse.session() as con:
        held = {path: sha for family in FACT_FAMILIES for path, (sha, *_) in warehouse.held_versions(con, family).items()}
    if file_path not in held:
        raise ValueError(f"{file_path} has no version held by the shrink guard (held now: {', '.join(sorted(held)) or 'none'})")
    path = settings.raw_dir() / file_path
    if path.is_file() and sha256_hex(path.read_bytes()) != held[file_path]:
        raise ValueError(f"{file_path} changed since it was held: the next refresh checks the new version")
    warehouse.confirm(file_path, held[file_path], getpass.getuser(), note)
    return f"confirmed the held version of {file_path}: the next refresh (make run) serves it"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.confirm", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="the held file, as the report names it (observations/foo.csv)")
    parser.add_argument("--note", help="why the cut is right (kept in audit.confirmations)")
    args = parser.parse_args(argv)
    try:
        print(confirm(args.file, args.note))
    except ValueError as exc:
        print(f"not confirmed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
