"""Ingest one file family: read → parse → validate (GX) → commit each file in one transaction, or quarantine.

No Dagster here: the assets in defs/ingest_assets.py call `ingest_family` and report its outcomes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from orchestration import settings
from orchestration.families import Family
from orchestration.reading import Issue, ParsedBatch, read_batch, sha256_of
from orchestration.validation import Catalogue, validate_files
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


@dataclass
class _Pending:
    path: Path
    rel: str
    sha256: str
    started: datetime
    batch: ParsedBatch


def discover(family: Family, raw_root: Path) -> list[Path]:
    return sorted(p for p in raw_root.glob(family.pattern) if p.is_file() and not p.name.startswith("."))


def ingest_family(family: Family, raw_root: Path, warehouse: Warehouse, run_id: str) -> list[FileOutcome]:
    """Every file of the family, each committed or quarantined on its own: one bad file never stops the others.

    The writer lock is held for the whole family, so that "already loaded?" and the commits see the
    same warehouse even with two refreshes running at once.
    """
    outcomes: list[FileOutcome] = []
    pending: list[_Pending] = []
    with warehouse.lock(), warehouse.connect() as con:
        fingerprint = warehouse.catalogue_fingerprint(con)
        catalogue = Catalogue() if family.catalogue else warehouse.catalogue(con)
        units = None if family.catalogue else dict(zip(catalogue.indicators["indicator_code"], catalogue.indicators["unit"]))
        for path in discover(family, raw_root):
            rel, started, sha = path.relative_to(raw_root).as_posix(), datetime.now(), sha256_of(path)
            if warehouse.previous_outcome(con, rel, sha, fingerprint):  # unchanged since loaded, or since quarantined
                outcomes.append(FileOutcome(family.name, rel, "skipped"))
                continue
            pending.append(_Pending(path, rel, sha, started, read_batch(family, path, rel, units)))

        frames = {p.rel: p.batch.frame for p in pending if p.batch.rows_read}
        validations = validate_files(family, catalogue, frames, docs_dir=settings.data_docs_dir(warehouse.data_dir))
        for item in pending:
            batch = item.batch
            validation = validations.get(item.rel)
            issues = batch.issues + (validation.issues if validation else [])
            results = validation.results if validation else []
            record = LoadRecord(run_id, family, item.rel, item.sha256, item.path.stat().st_size, batch.rows_read,
                                fingerprint, item.started, batch.encoding)
            if issues:
                issues.sort(key=lambda i: (i.row or 0, i.column or ""))
                load_id = warehouse.record_quarantine(con, record, issues, results)
                log.warning("quarantined %s: %d issue(s); first: %s", item.rel, len(issues), issues[0])
                outcomes.append(FileOutcome(family.name, item.rel, "quarantined", batch.rows_read, issues, load_id))
                continue
            log.info("committing %s (%d rows)", item.rel, batch.rows_read)
            load_id = warehouse.commit_load(con, record, batch.frame, results)
            log.info("loaded %s", item.rel)
            outcomes.append(FileOutcome(family.name, item.rel, "loaded", batch.rows_read, [], load_id))
    return sorted(outcomes, key=lambda o: o.file_path)
