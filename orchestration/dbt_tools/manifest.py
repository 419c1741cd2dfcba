"""The dbt manifest the code location is built from (dbt_project/target/manifest.json), made before the code location
loads, never while it is imported: by `make` (the manifest is a prerequisite of `make run`, `make dev`, `make
restore` and `make bench`, remade when a file of the project is newer), by the tests' conftest, and under `dagster
dev` by dagster-dbt's own preparer (DbtProject.prepare_if_dev).

    python -m orchestration.dbt_tools.manifest    # parse the project when the manifest is missing or older than it
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orchestration import settings

TARGET_PATH = "target"
MANIFEST = settings.DBT_PROJECT_DIR / TARGET_PATH / "manifest.json"


def project_files() -> list[Path]:
    """Every file of the dbt project a build reads: a change of any of them is a change of the project."""
    root = settings.DBT_PROJECT_DIR
    folders = ("models", "seeds", "macros", "tests")
    return sorted([root / "dbt_project.yml", *(p for d in folders for p in (root / d).rglob("*") if p.is_file())])


def manifest_is_stale(manifest: Path = MANIFEST) -> bool:
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(p.stat().st_mtime > built for p in project_files())


def prepare_manifest() -> bool:
    """`dbt parse` when the manifest is missing or stale (~5 s); True when it parsed. dbt is run as the refresh runs it
    (settings.dbt_executable), from the project's folder."""
    if not manifest_is_stale():
        return False
    command = [settings.dbt_executable(), "parse", "--quiet", "--target-path", TARGET_PATH]
    subprocess.run(command, cwd=settings.DBT_PROJECT_DIR, check=True)
    return True


if __name__ == "__main__":
    prepare_manifest()
    sys.exit(1 if manifest_is_stale() else 0)
