"""`python -m orchestration.commands.verify` (or `make verify`): check the serving copy readers open, and the raw zone,
against the checksums written with them. Reads only; exit 1 when a file is damaged (the next refresh rewrites it).
"""

from __future__ import annotations

import sys

from orchestration import settings
from orchestration.publish.checksums import CHECKSUMS_FILE, damaged, read_checksums
from orchestration.publish.raw_zone import zone_dir
from orchestration.publish.serving import serving_root, verify_current


def verify(data_dir) -> list[str]:
    """Every damaged file under the data folder's serving copy and raw zone, relative to the data folder."""
    problems = [f"serving/current/{name}" for name in verify_current(data_dir)]
    zone = zone_dir(data_dir)
    for family in sorted(p for p in zone.iterdir() if p.is_dir()) if zone.exists() else []:
        sums = read_checksums(family / CHECKSUMS_FILE)
        problems += [f"raw_zone/{family.name}/{name}" for name in damaged(family, sums)] if sums else []
    return problems


def main() -> int:
    data_dir = settings.data_dir()
    if not (serving_root(data_dir) / "current").exists():
        print(f"no serving copy under {data_dir}: run the refresh first", file=sys.stderr)
        return 1
    problems = verify(data_dir)
    for problem in problems:
        print(f"damaged: {problem}")
    print(
        f"{len(problems)} damaged file(s): the next refresh rewrites them (make run)"
        if problems
        else f"the serving copy and the raw zone under {data_dir} match their checksums"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
