"""Ingest one file family: read → parse → validate (GX) → commit in one transaction, or quarantine.

No Dagster here: the assets in defs/ingest_assets.py call `ingest_family` and report its outcomes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from orchestration.families import Family
from orchestration.reading import Issue, read_batch, sha256_of
from orchestration.validation import Catalogue, validate
from orchestration.warehouse import LoadRecord, Warehouse

log = logging.getLogger(__name__)


@dataclass
class FileOutcome:
    family: str
    file_path: str  # relative to the raw folder, with forward slashes
    status: str  # loaded | skipped | quarantined
    rows: int = 0
    issues: list[Issue] = field(default_factory=list)
    load_id: int | None = None
    note: str = ""


def discover(family: Family, raw_root: Path) -> list[Path]:
    return sorted(p for p in raw_root.glob(family.pattern) if p.is_file())


def ingest_file(family: Family, path: Path, raw_root: Path, warehouse: Warehouse, run_id: str) -> FileOutcome:
    rel = path.relative_to(raw_root).as_posix()
    started = datetime.now()
    sha = sha256_of(path)
    # The lock is held for the whole file so that the check "already loaded?" and the commit
    # see the same warehouse, even with two refreshes running at once.
    with warehouse.lock(), warehouse.connect() as con:
        fingerprint = warehouse.catalogue_fingerprint(con)
        previous = warehouse.previous_outcome(con, rel, sha, fingerprint)
        if previous:
            note = "unchanged since it was loaded" if previous == "loaded" else "unchanged since it was quarantined"
            return FileOutcome(family.name, rel, "skipped", note=note)
        catalogue = Catalogue() if family.catalogue else warehouse.catalogue(con)

        batch = read_batch(family, path, rel)
        issues = list(batch.issues)
        results: list[dict] = []
        if batch.rows_read:
            validation = validate(family, catalogue, batch.frame, rel)
            issues += validation.issues
            results = validation.results
        record = LoadRecord(run_id, family, rel, sha, path.stat().st_size, batch.rows_read, fingerprint, started)
        if issues:
            issues.sort(key=lambda i: (i.row or 0, i.column or ""))
            load_id = warehouse.record_quarantine(con, record, issues, results)
            return FileOutcome(family.name, rel, "quarantined", batch.rows_read, issues, load_id)
        load_id = warehouse.commit_load(con, record, batch.frame, results)
        return FileOutcome(family.name, rel, "loaded", batch.rows_read, [], load_id)


def ingest_family(family: Family, raw_root: Path, warehouse: Warehouse, run_id: str) -> list[FileOutcome]:
    """Every file of the family, each on its own: one bad file never stops the others."""
    outcomes = []
    for path in discover(family, raw_root):
        outcome = ingest_file(family, path, raw_root, warehouse, run_id)
        if outcome.status == "quarantined":
            log.warning("quarantined %s: %d issue(s); first: %s", outcome.file_path, len(outcome.issues), outcome.issues[0])
        outcomes.append(outcome)
    return outcomes
