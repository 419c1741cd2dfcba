"""`make docs`: dbt's documentation of the models as one static page, <data>/dbt_docs/static_index.html.

It reads the warehouse's catalog (column types), so it runs under the writer lock like a refresh. The page
embeds everything it needs (no server, no network): open it from the file system, or follow the link in the
steward report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestration import settings
from orchestration.store.warehouse import Warehouse


def build_dbt_docs(data_dir: Path) -> Path:
    out = settings.dbt_docs_dir(data_dir)
    with Warehouse(data_dir).lock():
        subprocess.run(
            [
                settings.real_dbt_executable(),
                "docs",
                "generate",
                "--static",
                "--quiet",
                "--project-dir",
                str(settings.DBT_PROJECT_DIR),
                "--profiles-dir",
                str(settings.DBT_PROJECT_DIR),
                "--target-path",
                str(out),
            ],
            env=settings.dbt_environment(data_dir),
            check=True,
        )
    return out / "static_index.html"


def main() -> int:
    data_dir = settings.data_dir()
    if not settings.warehouse_path(data_dir).exists():
        print(f"no warehouse in {data_dir}: run `make run` first", file=sys.stderr)
        return 2
    page = build_dbt_docs(data_dir)
    print(f"dbt documentation: {page}  (one self-contained page; the quality report links to it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
