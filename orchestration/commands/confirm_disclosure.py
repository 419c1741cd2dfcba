"""`python -m orchestration.commands.confirm_disclosure [--note TEXT]` (or `make confirm-disclosure`): a steward confirms
that the confidential figures the differencing check found derivable may be published around, so that the next
refresh publishes the release it held.

Only the figures held now are confirmed, each at its value (audit.disclosure_confirmations): a new value of one of
them, or another figure given away, holds the release again. Without --yes the figures are listed, not confirmed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from orchestration import settings
from orchestration.publish.disclosure import confirm_all, held_figures
from orchestration.store.warehouse import Warehouse


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.commands.confirm_disclosure", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--yes", action="store_true", help="confirm them (without it they are listed)")
    parser.add_argument("--note", help="why they may stay derivable (kept in audit.disclosure_confirmations)")
    args = parser.parse_args(argv)
    warehouse = Warehouse(settings.data_dir())
    if not warehouse.path.exists():
        print(f"not confirmed: no warehouse at {warehouse.path}", file=sys.stderr)
        return 1
    held = held_figures(warehouse)
    if not held:
        print("nothing held: no confidential figure can be worked out from the published ones")
        return 0
    if not args.yes:
        print(f"{len(held)} confidential figure(s) can be worked out from published ones:")
        print("\n".join(f"  {d.describe()}" for d in held))
        print("mark more cells confidential (conf_status D) and run the refresh, or confirm: make confirm-disclosure YES=1")
        return 1
    confirm_all(warehouse, getpass.getuser(), args.note)
    print(f"confirmed {len(held)} figure(s): the next refresh (make run) publishes")
    print("\n".join(f"  {d.describe()}" for d in held))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
