"""`python -m orchestration.commands.confirm FILE [--note TEXT]` (or `make confirm FILE=...`): a steward accepts the version of
a raw file that the shrink guard held, so that the next refresh serves it.

FILE is the path under the raw folder the report and the verdict name (observations/foo.csv). Only the version held
(by its content hash) is confirmed: if the file changes again, the guard looks at the new version afresh. FILE may
be a family's folder (observations/) when every file it served is gone at once: the refresh withdraws them all only
once a steward confirms exactly that set. FILE may be a refused table still serving its last accepted reading: the
refresh then stops serving it, as it would any refused file.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from orchestration import settings
from orchestration.domain.families import FACT_FAMILIES
from orchestration.store.files import sha256_hex
from orchestration.store.ingest_state import emptying_key, family_folder
from orchestration.store.warehouse import Warehouse


def confirm(file_path: str, note: str | None = None) -> str:
    """Confirm the held version of `file_path`; returns what was done, raises ValueError when nothing is held."""
    warehouse = Warehouse(settings.data_dir())
    if not warehouse.path.exists():
        raise ValueError(f"no warehouse at {warehouse.path}: nothing is held")
    family = next((f for f in FACT_FAMILIES if family_folder(f) == file_path.rstrip("/") + "/"), None)
    if family is not None:
        return _confirm_emptying(warehouse, family, note)
    with warehouse.session() as con:
        held = {path: sha for family in FACT_FAMILIES for path, (sha, *_) in warehouse.held_versions(con, family).items()}
        kept = {path: sha for family in FACT_FAMILIES for path, (sha, *_) in warehouse.kept_refusals(con, family).items()}
    if file_path in kept and file_path not in held:  # a refused table still serving its last accepted reading
        warehouse.confirm(file_path, kept[file_path], getpass.getuser(), note)
        return f"confirmed: the next refresh (make run) stops serving the last accepted reading of {file_path}"
    if file_path not in held:
        raise ValueError(f"{file_path} has no version held by the shrink guard (held now: {', '.join(sorted(held)) or 'none'})")
    path = settings.raw_dir() / file_path
    if path.is_file() and sha256_hex(path.read_bytes()) != held[file_path]:
        raise ValueError(f"{file_path} changed since it was held: the next refresh checks the new version")
    warehouse.confirm(file_path, held[file_path], getpass.getuser(), note)
    return f"confirmed the held version of {file_path}: the next refresh (make run) serves it"


def _confirm_emptying(warehouse: Warehouse, family, note: str | None) -> str:
    """A steward confirms that every file the family served is gone on purpose: exactly the files gone now."""
    folder, raw = family_folder(family), settings.raw_dir()
    with warehouse.session() as con:
        served = warehouse.served_files(con, family)
    gone = {rel: sha for rel, sha in served.items() if not (raw / rel).is_file()}
    if not served or set(gone) != set(served):
        raise ValueError(f"not every file {folder} serves is gone ({len(gone)} of {len(served)}): nothing to confirm")
    warehouse.confirm(folder, emptying_key(gone), getpass.getuser(), note)
    return f"confirmed: the next refresh (make run) withdraws all {len(gone)} file(s) {folder} served"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.commands.confirm", description=__doc__.splitlines()[0])
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
