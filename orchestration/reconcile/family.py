"""Ingest one file family: carry out the plan that reconciles the warehouse with what the raw folder holds now.

reconcile/listing.py lists the folder, reconcile/plan.py decides what becomes of each path (the rules); this module
carries the actions out, holding the writer lock for the whole family. A file to read is read → parsed → validated
(GX, in slices of files) → committed in its own transaction, or quarantined with its reasons: one bad file never
stops the others. What is served depends only on the files present, never on the order they arrived in.

No Dagster here: the assets in defs/ingest_assets.py call `ingest_family` and report its outcomes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from orchestration import settings
from orchestration.domain.catalogue import Catalogue
from orchestration.domain.families import FACT_FAMILIES, Family
from orchestration.domain.issues import Issue
from orchestration.read.layouts import Layout
from orchestration.read.parallel_read import Deferred, ReadJob, read_in_order
from orchestration.read.reading import ParsedBatch, locate_issues
from orchestration.read.table_layout import Labels
from orchestration.reconcile import plan
from orchestration.reconcile.layout_set import resolve_layouts
from orchestration.reconcile.listing import check_raw_folder, discover, list_family
from orchestration.store.files import sha256_of
from orchestration.store.hash_cache import HashCache
from orchestration.store.load_outcomes import KEPT_NOTE
from orchestration.store.warehouse import LoadRecord, Warehouse
from orchestration.validate.catalogue_checks import check_catalogue, duplicates_across_files
from orchestration.validate.validation import ValidationOutcome, validate_files

log = logging.getLogger(__name__)

# still_quarantined: refused earlier and unchanged since (it is not served: a warning until it is fixed or removed);
# deferred: still being written while the refresh read it (file_snapshot.py), taken by the next refresh.
# held: a new version that would withdraw more than the shrink guard's share of its file's served figures; the
# version before it is still served until a steward confirms (make confirm) or the file is fixed.
FILE_STATUSES = ("loaded", "skipped", "quarantined", "still_quarantined", "deferred", "held", "withdrawn", "moved")
# Files are validated (one GX run) and committed in slices of about this many rows, then let go: GX's cost is
# mostly per run, so many small publications share one, and memory stays bounded by a slice or the largest
# file instead of growing with the family. 500,000 rather than 250,000 since GX sees distinct values: at 10^7 the
# observations ingest 112 s -> 105 s, its peak 1.3 -> 1.5 GiB (the refresh's peak is dbt's, 2.3 GiB).
SLICE_ROWS = 500_000


@dataclass
class FileOutcome:
    family: str
    file_path: str  # relative to the raw folder, with forward slashes
    status: str  # one of FILE_STATUSES
    rows: int = 0
    issues: list[Issue] = field(default_factory=list)
    load_id: int | None = None
    note: str | None = None


@dataclass
class _Pending:
    path: Path
    rel: str
    sha256: str
    size: int
    started: datetime
    batch: ParsedBatch


def ingest_family(family: Family, raw_root: Path, warehouse: Warehouse, run_id: str, data_docs: bool = True) -> list[FileOutcome]:
    """Every file of the family, each committed or quarantined on its own: one bad file never stops the others.

    The writer lock is held for the whole family, so that "already loaded?" and the commits see the
    same warehouse even with two refreshes running at once.
    """
    if family.catalogue:
        check_raw_folder(raw_root)
    with warehouse.session() as con:
        run = _FamilyRun(family, raw_root, warehouse, con, run_id, data_docs)
        run.carry_out(plan.plan_family(family, run.folder, run.records, run.fingerprint))
        return sorted(run.outcomes, key=lambda o: o.file_path)


def _records(warehouse: Warehouse, con, family: Family) -> plan.Records:
    """What the warehouse records of the family, as the plan reads it."""
    latest = {path: plan.Latest(*row) for path, row in warehouse.latest_records(con, family).items()}
    facts = family in FACT_FAMILIES
    return plan.Records(
        latest=latest,
        held=warehouse.held_versions(con, family) if facts else {},
        kept=warehouse.kept_refusals(con, family) if facts else {},
        confirmed=frozenset(warehouse.confirmations(con)),
    )


class _FamilyRun:
    """One family's ingest under the writer lock: what it listed and found, and the outcomes so far."""

    def __init__(self, family: Family, raw_root: Path, warehouse: Warehouse, con, run_id: str, data_docs: bool):
        self.family, self.raw_root, self.warehouse, self.con, self.run_id = family, raw_root, warehouse, con, run_id
        self.outcomes: list[FileOutcome] = []
        self._layout_found: dict[str, Layout | list[Layout] | None] = {}
        present, refused, deferred = list_family(discover(family, raw_root), raw_root, HashCache(warehouse.data_dir))
        self.records = _records(warehouse, con, family)
        self.fingerprint = _family_fingerprint(warehouse, con, family, raw_root, present)
        self.catalogue = Catalogue() if family.catalogue else warehouse.catalogue(con)
        self.layouts, self.labels = None, None
        if family.converts_units:  # bureau tables and data-query responses are read through the layouts in force
            self.layouts = resolve_layouts(warehouse, con, raw_root, self.catalogue, run_id)
            self.labels = Labels.build(*warehouse.label_rows(con)) if self.layouts.layouts else None
            for layout_path, reasons in self.layouts.refused.items():  # its last accepted version still reads its files
                issues = [Issue(layout_path, None, None, "layout", None, reason) for reason in reasons]
                note = self.layouts.note(layout_path)
                self.outcomes.append(FileOutcome(family.name, layout_path, "quarantined", 0, issues, None, note=note))
        layouts = {rel: self._plan_layout(rel) for rel in [*present, *refused]}
        self.folder = plan.Folder(present, refused, deferred, layouts)
        self.docs_dir = settings.data_docs_dir(warehouse.data_dir) if data_docs else None
        self.guard = settings.current().shrink_guard

    def layout_of(self, rel: str) -> Layout | list[Layout] | None:
        """Asked several times per file (plan, read, record): the globs are matched once."""
        if rel not in self._layout_found:
            self._layout_found[rel] = self.layouts.for_file(rel) if self.layouts else None
        return self._layout_found[rel]

    def layout_ident(self, rel: str) -> str | None:
        """The layout version and the catalogue's names a table is read with: either changing reads it again."""
        found = self.layout_of(rel)
        return f"{found.ident}#{self.labels.fingerprint}" if isinstance(found, Layout) and self.labels else None

    def _plan_layout(self, rel: str) -> str | tuple[str, ...] | None:
        found = self.layout_of(rel)
        return tuple(layout.path for layout in found) if isinstance(found, list) else self.layout_ident(rel)

    def record(self, rel: str, sha: str, started: datetime, size: int = 0, rows: int = 0, encoding: str | None = None):
        return LoadRecord(
            self.run_id, self.family, rel, sha, size, rows, self.fingerprint, started, encoding, self.layout_ident(rel)
        )

    def outcome(self, rel: str, status: str, rows: int = 0, issues=(), load_id=None, note=None) -> None:
        self.outcomes.append(FileOutcome(self.family.name, rel, status, rows, list(issues), load_id, note))

    def carry_out(self, actions: list[plan.Action]) -> None:
        """Each action in order; the files to read are read by a pool, validated in slices and committed one by one."""
        still = [action.path for action in actions if action.kind == plan.STILL_REFUSED]  # their reasons still stand
        self.earlier_issues = self.warehouse.latest_issues(self.con, self.family, still)
        to_read: list[ReadJob] = []
        for action in actions:
            if action.kind == plan.READ:
                path = self.raw_root / action.path
                started = datetime.now()
                to_read.append(ReadJob(path, action.path, action.sha256, started, self.layout_of(action.path), _size(path)))
            elif action.kind in (plan.WITHDRAW, plan.HOLD_WITHDRAWAL):
                continue  # recorded after the loads of this refresh
            else:
                self._record_action(action)
        self._read_and_settle(to_read)
        for action in actions:
            if action.kind in (plan.WITHDRAW, plan.HOLD_WITHDRAWAL):
                self._record_action(action)

    def _record_action(self, action: plan.Action) -> None:
        """An action that reads nothing: an outcome, and the audit record it needs."""
        rel, sha, kind = action.path, action.sha256, action.kind
        if kind == plan.SKIP:
            self.outcome(rel, "skipped")
        elif kind == plan.DEFER:
            log.warning("deferred %s: still being written (%s); the next refresh takes it", rel, action.note)
            self.outcome(rel, "deferred", note=f"still being written — will retry: {action.note}")
        elif kind == plan.STILL_HELD:
            self.outcome(rel, "held", note=action.note)
        elif kind == plan.STILL_REFUSED:
            self.outcome(
                rel,
                "still_quarantined",
                0,
                self.earlier_issues.get(rel, []),
                note=KEPT_NOTE if action.keeps_served else action.note,
            )
        elif kind == plan.MOVE:
            load_id = self.warehouse.record_move(
                self.con, self.record(rel, sha, datetime.now(), _size(self.raw_root / rel)), action.moved_from
            )
            log.info("moved %s -> %s", action.moved_from, rel)
            self.outcome(rel, "moved", load_id=load_id, note=f"moved from {action.moved_from}")
        elif kind in (plan.REFUSE_PATH, plan.REFUSE_AMBIGUOUS):
            rule = "path" if kind == plan.REFUSE_PATH else "layout_ambiguous"
            issue = Issue(rel, None, None, rule, None, action.note)
            size = 0 if kind == plan.REFUSE_PATH else _size(self.raw_root / rel)
            load = self.record(rel, sha, datetime.now(), size)
            load_id = self.warehouse.record_quarantine(self.con, load, [issue], [], keep_served=action.keeps_served)
            self.outcome(rel, "quarantined", 0, [issue], load_id, note=KEPT_NOTE if action.keeps_served else None)
        elif kind == plan.HOLD_WITHDRAWAL:
            log.warning("held the withdrawal of %s: %s", rel, action.note)
            self.outcome(rel, "held", note=action.note)
        elif kind == plan.WITHDRAW:
            load_id = self.warehouse.record_withdrawal(self.con, self.record(rel, sha, datetime.now()), action.note)
            log.warning("withdrawn %s: %s", rel, action.note)
            self.outcome(rel, "withdrawn", load_id=load_id, note=action.note)
        else:
            raise ValueError(f"no such action: {kind}")

    def _read_and_settle(self, jobs: list[ReadJob]) -> None:
        """Read and parsed by a pool of processes where it pays (parallel_read.py), handed back in this order; validated
        and committed a slice at a time, except where a rule across the family's files needs them all in one."""
        units = (
            None
            if self.family.catalogue
            else dict(zip(self.catalogue.indicators["indicator_code"], self.catalogue.indicators["unit"], strict=False))
        )
        pending: list[_Pending] = []
        for job, read in read_in_order(jobs, self.family, units, self.labels):
            if isinstance(read, Deferred):
                self._record_action(plan.Action(plan.DEFER, job.rel, note=read.reason))
                continue
            batch, size = read
            pending.append(_Pending(job.path, job.rel, job.sha256, size, job.started, batch))
            if not self.family.unique_across_files and sum(p.batch.rows_read for p in pending) >= SLICE_ROWS:
                self._settle(pending)
                pending = []
        if pending:
            self._settle(pending)

    def _settle(self, slice_: list[_Pending]) -> None:
        """Validate a slice of read files in one GX run, then commit, quarantine or hold each of them."""
        frames = {p.rel: p.batch.frame for p in slice_ if p.batch.rows_read}
        validations = _validate_failing_closed(self.family, self.catalogue, frames, self.docs_dir)
        issues_of = {
            p.rel: p.batch.issues + (locate_issues(p.batch, validations[p.rel].issues) if p.rel in validations else [])
            for p in slice_
        }
        if self.family.catalogue:
            self._check_catalogue(slice_, issues_of)
        if self.family.unique_across_files:
            self._refuse_keys_shared_across_files(slice_, issues_of)
        for item in slice_:
            validation = validations.get(item.rel)
            self._settle_one(item, issues_of[item.rel], validation.results if validation else [])

    def _check_catalogue(self, slice_: list[_Pending], issues_of: dict[str, list[Issue]]) -> None:
        # the served facts, looked up (a scan of every one of them) only when a check needs them
        facts_in_use = cache(
            lambda: self.warehouse.facts_in_use(self.con, _unchanged_fact_files(self.warehouse, self.con, self.raw_root))
        )
        current = self.warehouse.catalogue(self.con)
        for item in slice_:
            if item.batch.rows_read and not issues_of[item.rel]:
                issues_of[item.rel] += check_catalogue(self.family, item.rel, item.batch.frame, current, facts_in_use)

    def _settle_one(self, item: _Pending, issues: list[Issue], results: list) -> None:
        batch, rel = item.batch, item.rel
        load = self.record(rel, item.sha256, item.started, item.size, batch.rows_read, batch.encoding)
        diff = None
        if not issues and plan.replaces_served(self.family, self.records, rel):
            diff = self.warehouse.figure_diff(self.con, self.family, rel, batch.frame)
        shrinks = diff is not None and diff.shrinks_more_than(self.guard)
        verdict, keep = plan.after_checks(
            self.family, self.records, rel, item.sha256, bool(issues), batch.layout is not None, shrinks
        )
        if verdict == plan.QUARANTINE:
            issues.sort(key=lambda i: (i.row or 0, i.column or ""))
            load_id = self.warehouse.record_quarantine(self.con, load, issues, results, keep_served=keep)
            log.warning("quarantined %s: %d issue(s); first: %s", rel, len(issues), issues[0])
            self.outcome(rel, "quarantined", batch.rows_read, issues, load_id, note=KEPT_NOTE if keep else None)
        elif verdict == plan.HOLD:
            load_id = self.warehouse.record_hold(self.con, load, batch.frame, diff, self.guard)
            log.warning("held %s: it would withdraw %d of %d served figures", rel, diff.withdrawn, diff.served)
            self.outcome(rel, "held", batch.rows_read, [], load_id, note=diff.hold_message(self.guard, rel))
        else:
            log.info("committing %s (%d rows)", rel, batch.rows_read)
            load_id = self.warehouse.commit_load(self.con, load, batch.frame, results, note=batch.note)
            self.outcome(rel, "loaded", batch.rows_read, [], load_id, note=batch.note)

    def _refuse_keys_shared_across_files(self, slice_: list[_Pending], issues_of: dict[str, list[Issue]]) -> None:
        """A key (a target id) defined in two files is refused in both: which one is right is a steward's call.

        Files already served that now share a key with another file are quarantined here too (their "skipped" outcome
        replaced), so the outcome is the same whichever file arrived first.
        """
        keyed = {p.rel: p.batch.frame for p in slice_ if p.batch.rows_read and not issues_of[p.rel]}
        served_unchanged = [rel for rel in self.folder.present if rel not in issues_of]
        keyed.update(self.warehouse.served_keys(self.con, self.family, served_unchanged))
        for rel, issues in duplicates_across_files(self.family, keyed).items():
            if rel in issues_of:
                issues_of[rel] += issues
                continue
            load = self.record(rel, self.folder.present[rel], datetime.now())
            load_id = self.warehouse.record_quarantine(self.con, load, issues, [])
            log.warning("quarantined %s: %s", rel, issues[0])
            self.outcomes = [o for o in self.outcomes if o.file_path != rel]
            self.outcome(rel, "quarantined", 0, issues, load_id)


def _family_fingerprint(warehouse: Warehouse, con, family: Family, raw_root: Path, present: dict[str, str]) -> str:
    """What a quarantine depends on besides the file itself; when it changes, quarantined files are tried again."""
    fingerprint = warehouse.catalogue_fingerprint(con)
    if family.catalogue:  # refused when it contradicts served facts: try again once they, or their files, change
        listing = "\n".join(
            f"{p} {p.stat().st_size} {p.stat().st_mtime_ns}" for f in FACT_FAMILIES for p in discover(f, raw_root)
        )
        fingerprint += ";" + warehouse.facts_state(con) + ";" + hashlib.sha256(listing.encode()).hexdigest()[:16]
    if family.unique_across_files:  # refused when another file has the same key: try again when the files change
        listing = "\n".join(f"{path} {sha}" for path, sha in sorted(present.items()))
        fingerprint += ";files:" + hashlib.sha256(listing.encode()).hexdigest()[:16]
    return fingerprint


def _unchanged_fact_files(warehouse: Warehouse, con, raw_root: Path) -> dict[str, list[str]]:
    """Fact files served now whose file is still present with the same content, and tables serving their last accepted
    reading: what a catalogue edit must respect."""
    out: dict[str, list[str]] = {}
    for family in FACT_FAMILIES:
        served, kept = warehouse.served_files(con, family), warehouse.kept_refusals(con, family)
        out[family.name] = [
            rel
            for rel, sha in served.items()
            if rel in kept  # a table whose new reading was refused serves its last accepted one, whatever raw/ holds
            or ((raw_root / rel).is_file() and not (raw_root / rel).is_symlink() and sha256_of(raw_root / rel) == sha)
        ]
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone meanwhile: reading it says so


def _validate_failing_closed(family: Family, catalogue: Catalogue, frames: dict, docs_dir: Path | None) -> dict:
    """validate_files on the slice; when it raises, each file on its own, and a file whose validation still raises
    is refused with the error as its reason (one file's surprise never stops the family)."""
    try:
        return validate_files(family, catalogue, frames, docs_dir=docs_dir)
    except Exception:
        log.exception("validating %d %s file(s) together failed: validating each on its own", len(frames), family.name)
    validations = {}
    for rel, frame in frames.items():
        try:
            validations.update(validate_files(family, catalogue, {rel: frame}, docs_dir=docs_dir))
        except Exception as exc:
            log.exception("validating %s failed", rel)
            message = (
                f"the file could not be validated ({type(exc).__name__}: {exc}): send it to the maintainers with this message"
            )
            validations[rel] = ValidationOutcome([Issue(rel, None, None, "validation_error", None, message)], [])
    return validations
