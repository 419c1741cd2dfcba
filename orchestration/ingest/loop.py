"""Ingest one file family: reconcile the warehouse with what the raw folder holds now.

Each file is read → parsed → validated (GX) → committed in one transaction, or quarantined with its
reasons. Around that, the family is reconciled with the folder so that what is served depends only on
the files present, never on the order they arrived in:
- a file that disappeared is withdrawn (its rows stop being served, stay in history with the reason);
- a file that reappears under another path with the same content has moved: same publication, no new vintage;
- a fact file whose new version is refused serves nothing until it is fixed (a refresh from scratch would
  serve nothing of it either); a refused catalogue leaves the previous catalogue in force.

No Dagster here: the assets in defs/ingest_assets.py call `ingest_family` and report its outcomes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from orchestration import settings
from orchestration.ingest.catalogue_checks import check_catalogue, duplicates_across_files
from orchestration.ingest.file_snapshot import settle_seconds, unsettled_reason
from orchestration.ingest.layout_set import resolve_layouts
from orchestration.ingest.layouts import Layout, layout_files
from orchestration.ingest.parallel_read import Deferred, ReadJob, read_in_order
from orchestration.ingest.reading import ParsedBatch, locate_issues, name_key, sha256_of
from orchestration.ingest.table_layout import Labels
from orchestration.ingest.validation import ValidationOutcome, validate_files
from orchestration.schema.catalogue import Catalogue
from orchestration.schema.families import ALL_FAMILIES, CATALOGUE_FAMILIES, FACT_FAMILIES, Family
from orchestration.schema.issues import Issue
from orchestration.store.ingest_state import emptying_key, family_folder
from orchestration.store.load_outcomes import KEPT_NOTE, confirm_command
from orchestration.store.warehouse import LoadRecord, Warehouse

log = logging.getLogger(__name__)

# Folders of raw/ that are reference material on purpose (the digitised article and its notes; the review files of
# the bulletin extractor, read by the quality report), not ingested.
REFERENCE_FOLDERS = ("articles", "reviews")
# still_quarantined: refused earlier and unchanged since (it is not served: a warning until it is fixed or removed);
# deferred: still being written while the refresh read it (file_snapshot.py), taken by the next refresh.
# held: a new version that would withdraw more than the shrink guard's share of its file's served figures; the
# version before it is still served until a steward confirms (make confirm) or the file is fixed.
FILE_STATUSES = ("loaded", "skipped", "quarantined", "still_quarantined", "deferred", "held", "withdrawn", "moved")
SHRINK_GUARD_ENV = "QZ_SHRINK_GUARD"
DEFAULT_SHRINK_GUARD = 0.2  # share of a file's served figures a new version may withdraw without a confirmation


def shrink_guard_share() -> float:
    try:
        return min(max(float(os.environ.get(SHRINK_GUARD_ENV, DEFAULT_SHRINK_GUARD)), 0.0), 1.0)
    except ValueError:
        return DEFAULT_SHRINK_GUARD


# Files are validated (one GX run) and committed in slices of about this many rows, then let go: GX's cost is
# mostly per run, so many small publications share one, and memory stays bounded by a slice or the largest
# file instead of growing with the family. 500,000 rather than 250,000 since GX sees distinct values: at 10^7 the
# observations ingest 112 s -> 105 s, its peak 1.3 -> 1.5 GiB (the refresh's peak is dbt's, 2.3 GiB).
SLICE_ROWS = 500_000


class RawFolderError(RuntimeError):
    """The raw folder cannot be refreshed from at all (missing, empty, without catalogues)."""


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


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def discover(family: Family, raw_root: Path) -> list[Path]:
    """The family's files: regular files directly in its folder (no hidden files, no sub-folders), sorted.

    Symlinks and anything resolving outside the raw folder are included so that they are refused
    (see `refused_path`), never silently skipped.
    """
    return sorted(p for p in raw_root.glob(family.pattern) if not p.name.startswith(".") and (p.is_symlink() or p.is_file()))


def refused_path(path: Path, raw_root: Path) -> str | None:
    """Why a path is refused before anything is read from it, or None."""
    if path.is_symlink() or any(parent.is_symlink() for parent in path.relative_to(raw_root).parents if parent != Path(".")):
        return "symbolic links are not read: copy the file itself into the raw folder"
    if not _inside(path, raw_root) or not path.is_file():
        return "the path leads outside the raw folder or is not a regular file"
    return None


def raw_files(raw_root: Path) -> list[Path]:
    """Every file a refresh reads: each family's and the layouts."""
    if not raw_root.is_dir():
        return []
    return [p for family in ALL_FAMILIES for p in discover(family, raw_root)] + layout_files(raw_root)


def ignored_files(raw_root: Path) -> list[str]:
    """Files under raw/ that no family reads (sub-folders, hidden files, stray files): listed, never loaded."""
    read = set(raw_files(raw_root))
    ignored = []
    for path in sorted(raw_root.rglob("*")):
        rel = path.relative_to(raw_root)
        if rel.parts[0] in REFERENCE_FOLDERS or path in read or path.is_dir():
            continue
        ignored.append(rel.as_posix())
    return ignored


def same_names(paths: list[Path]) -> dict[Path, str]:
    """Files whose names a person cannot tell apart (分省年度数据.xls beside its full-width or decomposed twin, or the
    same name in another case): each is refused naming the other, never one silently chosen."""
    by_key: dict[str, list[Path]] = {}
    for path in paths:
        by_key.setdefault(name_key(path.name), []).append(path)
    return {
        path: f"its name and {', '.join(repr(o.name) for o in group if o != path)}'s are the same after normalisation: keep one"
        for group in by_key.values()
        if len(group) > 1
        for path in group
    }


def check_raw_folder(raw_root: Path) -> None:
    """Fail loudly, with one reason, instead of publishing empty marts from an empty or wrong folder."""
    if not raw_root.is_dir():
        raise RawFolderError(f"the raw folder {raw_root} does not exist: set QZ_RAW_DIR or restore raw/")
    missing = [f"raw/{f.pattern}" for f in CATALOGUE_FAMILIES if not discover(f, raw_root)]
    if missing:
        raise RawFolderError(
            f"the raw folder {raw_root} has no catalogue {', '.join(missing)}: nothing can be validated without it"
        )


def previous_outcome(
    latest: dict[str, tuple[str, str, str, str | None]], rel: str, sha256: str, fingerprint: str, layout: str | None = None
) -> str | None:
    """'loaded' if this exact content, read through the same layout, is what the path serves now; 'quarantined' if it
    failed against the same fingerprint (catalogue, and for cross-file rules the family's files). None: read it.

    Only the path's latest record counts: a file that was withdrawn, moved away or replaced is read again; so is a
    file whose layout changed (a new layout version may read other figures from the same bytes).
    """
    status, sha, refused_under, read_through = latest.get(rel, (None, None, None, None))
    if sha != sha256 or read_through != layout:
        return None
    if status == "loaded" or (status == "quarantined" and refused_under == fingerprint):
        return status
    return None


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


def ingest_family(family: Family, raw_root: Path, warehouse: Warehouse, run_id: str, data_docs: bool = True) -> list[FileOutcome]:
    """Every file of the family, each committed or quarantined on its own: one bad file never stops the others.

    The writer lock is held for the whole family, so that "already loaded?" and the commits see the
    same warehouse even with two refreshes running at once.
    """
    if family.catalogue:
        check_raw_folder(raw_root)
    outcomes: list[FileOutcome] = []
    pending: list[_Pending] = []  # read, waiting for validation with the rest of their slice
    with warehouse.session() as con:
        paths = discover(family, raw_root)
        refused = {p: reason for p in paths if (reason := refused_path(p, raw_root))}
        refused.update(same_names(paths))
        deferred: dict[Path, str] = {}  # still being written: not read this time, and not withdrawn either
        present: dict[str, str] = {}
        now, settle = time.time(), settle_seconds()
        for path in (p for p in paths if p not in refused):
            try:
                if reason := unsettled_reason(path, now, settle):
                    deferred[path] = reason
                else:
                    present[path.relative_to(raw_root).as_posix()] = sha256_of(path)
            except FileNotFoundError:
                deferred[path] = "disappeared while the refresh read the folder"
            except OSError as exc:  # unreadable (permissions, a device error): refused until it can be read
                refused[path] = f"the file cannot be read ({exc.strerror or exc})"
        latest = warehouse.latest_records(con, family)
        served = warehouse.served(latest)
        fingerprint = _family_fingerprint(warehouse, con, family, raw_root, present)
        catalogue = Catalogue() if family.catalogue else warehouse.catalogue(con)
        units = (
            None
            if family.catalogue
            else dict(zip(catalogue.indicators["indicator_code"], catalogue.indicators["unit"], strict=False))
        )

        # Bureau tables and data-query responses are read through the layouts in force (layout_set.py); a layout
        # refused this time is reported as a quarantined file, its last accepted version still reading its files.
        layouts, labels = None, None
        if family.converts_units:
            layouts = resolve_layouts(warehouse, con, raw_root, catalogue, run_id)
            labels = Labels.build(*warehouse.label_rows(con)) if layouts.layouts else None  # only a layout reads labels
            for layout_path, reasons in layouts.refused.items():
                issues = [Issue(layout_path, None, None, "layout", None, reason) for reason in reasons]
                outcomes.append(
                    FileOutcome(family.name, layout_path, "quarantined", 0, issues, None, note=layouts.note(layout_path))
                )

        @cache  # asked several times per file (skip, hold, move, record): the globs are matched once
        def layout_of(rel: str) -> Layout | list[Layout] | None:
            return layouts.for_file(rel) if layouts else None

        def layout_ident(rel: str) -> str | None:
            """The layout version and the catalogue's names a table is read with: either changing reads it again."""
            found = layout_of(rel)
            return f"{found.ident}#{labels.fingerprint}" if isinstance(found, Layout) and labels else None

        def record(
            rel: str, sha: str, started: datetime, size: int = 0, rows: int = 0, encoding: str | None = None
        ) -> LoadRecord:
            return LoadRecord(run_id, family, rel, sha, size, rows, fingerprint, started, encoding, layout_ident(rel))

        for path, reason in refused.items():
            rel = path.relative_to(raw_root).as_posix()
            sha = hashlib.sha256(f"refused path: {reason}".encode()).hexdigest()
            if previous_outcome(latest, rel, sha, fingerprint, layout_ident(rel)) == "quarantined":
                outcomes.append(FileOutcome(family.name, rel, "skipped"))
                continue
            issue = Issue(rel, None, None, "path", None, reason)
            load_id = warehouse.record_quarantine(con, record(rel, sha, datetime.now()), [issue], [])
            outcomes.append(FileOutcome(family.name, rel, "quarantined", 0, [issue], load_id))

        # A rule across the family's files (a target id defined twice) needs every file in one slice.
        sliced = not family.unique_across_files
        docs_dir = settings.data_docs_dir(warehouse.data_dir) if data_docs else None

        def settle(slice_: list[_Pending]) -> list[FileOutcome]:
            """Validate a slice of read files in one GX run, then commit or quarantine each of them."""
            settled: list[FileOutcome] = []
            frames = {p.rel: p.batch.frame for p in slice_ if p.batch.rows_read}
            validations = _validate_failing_closed(family, catalogue, frames, docs_dir)
            issues_of = {
                p.rel: p.batch.issues + (locate_issues(p.batch, validations[p.rel].issues) if p.rel in validations else [])
                for p in slice_
            }
            if family.catalogue:
                # the served facts, looked up (a scan of every one of them) only when a check needs them
                facts_in_use = cache(lambda: warehouse.facts_in_use(con, _unchanged_fact_files(warehouse, con, raw_root)))
                current = warehouse.catalogue(con)
                for item in slice_:
                    if item.batch.rows_read and not issues_of[item.rel]:
                        issues_of[item.rel] += check_catalogue(family, item.rel, item.batch.frame, current, facts_in_use)
            if family.unique_across_files:
                settled += _refuse_keys_shared_across_files(family, warehouse, con, slice_, issues_of, present, record)
                refused_now = {o.file_path for o in settled}
                outcomes[:] = [o for o in outcomes if o.file_path not in refused_now]

            for item in slice_:
                batch = item.batch
                validation = validations.get(item.rel)
                issues = issues_of[item.rel]
                results = validation.results if validation else []
                load = record(item.rel, item.sha256, item.started, item.size, batch.rows_read, batch.encoding)
                if issues:
                    issues.sort(key=lambda i: (i.row or 0, i.column or ""))
                    keep = keeps_served(item.rel, batch.layout is not None)
                    load_id = warehouse.record_quarantine(con, load, issues, results, keep_served=keep)
                    log.warning("quarantined %s: %d issue(s); first: %s", item.rel, len(issues), issues[0])
                    settled.append(
                        FileOutcome(
                            family.name,
                            item.rel,
                            "quarantined",
                            batch.rows_read,
                            issues,
                            load_id,
                            note=KEPT_NOTE if keep else None,
                        )
                    )
                    continue
                replaces = family in FACT_FAMILIES and item.rel in served  # a new version of a served fact file
                diff = warehouse.figure_diff(con, family, item.rel, batch.frame) if replaces else None
                if diff and diff.shrinks_more_than(guard) and not warehouse.is_confirmed(con, item.rel, item.sha256):
                    load_id = warehouse.record_hold(con, load, batch.frame, diff, guard)
                    log.warning("held %s: it would withdraw %d of %d served figures", item.rel, diff.withdrawn, diff.served)
                    settled.append(
                        FileOutcome(
                            family.name, item.rel, "held", batch.rows_read, [], load_id, note=diff.hold_message(guard, item.rel)
                        )
                    )
                    continue
                log.info("committing %s (%d rows)", item.rel, batch.rows_read)
                load_id = warehouse.commit_load(con, load, batch.frame, results, note=batch.note)
                log.info("loaded %s", item.rel)
                settled.append(FileOutcome(family.name, item.rel, "loaded", batch.rows_read, [], load_id, note=batch.note))
            return settled

        def defer(rel: str, reason: str) -> None:
            log.warning("deferred %s: still being written (%s); the next refresh takes it", rel, reason)
            outcomes.append(FileOutcome(family.name, rel, "deferred", note=f"still being written — will retry: {reason}"))

        for path, reason in deferred.items():
            defer(path.relative_to(raw_root).as_posix(), reason)
        waiting = {p.relative_to(raw_root).as_posix() for p in deferred}
        gone_by_sha: dict[str, list[str]] = {}
        for rel, sha in served.items():
            if rel not in present and rel not in waiting:
                gone_by_sha.setdefault(sha, []).append(rel)
        kept = warehouse.kept_refusals(con, family) if family in FACT_FAMILIES else {}
        still_refused = [
            rel
            for rel, sha in present.items()
            if previous_outcome(latest, rel, sha, fingerprint, layout_ident(rel)) == "quarantined" or rel in kept
        ]
        earlier_issues = warehouse.latest_issues(con, family, still_refused)
        held = warehouse.held_versions(con, family) if family in FACT_FAMILIES else {}

        def keeps_served(rel: str, through_layout: bool) -> bool:
            """A bureau's table (read through a layout, now or when last accepted) whose reading is refused keeps its
            last accepted reading served: a layout slip or a re-saved table never empties what was published. Unless a
            steward confirmed that this refused version serves nothing (make confirm FILE=…)."""
            table = through_layout or (rel in latest and latest[rel][3] is not None)
            return family in FACT_FAMILIES and rel in served and table and not warehouse.is_confirmed(con, rel, present[rel])

        guard = shrink_guard_share()
        to_read: list[ReadJob] = []
        for path in (p for p in paths if p not in refused and p not in deferred):
            rel, started = path.relative_to(raw_root).as_posix(), datetime.now()
            sha = present[rel]
            previous = previous_outcome(latest, rel, sha, fingerprint, layout_ident(rel))
            if previous == "loaded":  # unchanged since loaded
                outcomes.append(FileOutcome(family.name, rel, "skipped"))
                continue
            if held.get(rel) == (sha, False, layout_ident(rel)):  # held, not confirmed yet: the old version is served
                note = f"still held by the shrink guard (the previous version is served): {confirm_command(rel)}"
                outcomes.append(FileOutcome(family.name, rel, "held", note=note))
                continue
            if kept.get(rel) == (sha, fingerprint, layout_ident(rel)) and not warehouse.is_confirmed(con, rel, sha):
                issues = earlier_issues.get(rel, [])
                outcomes.append(FileOutcome(family.name, rel, "still_quarantined", 0, issues, note=KEPT_NOTE))
                continue
            if previous == "quarantined":  # refused under the same fingerprint, unchanged: still not served
                issues = earlier_issues.get(rel, [])
                outcomes.append(FileOutcome(family.name, rel, "still_quarantined", 0, issues, note="unchanged since refused"))
                continue
            if rel not in served and gone_by_sha.get(sha) and layout_of(rel) is None:  # the same publication, renamed
                old = gone_by_sha[sha].pop(0)
                load_id = warehouse.record_move(con, record(rel, sha, started, path.stat().st_size), old)
                log.info("moved %s -> %s", old, rel)
                outcomes.append(FileOutcome(family.name, rel, "moved", 0, [], load_id, note=f"moved from {old}"))
                continue
            layout = layout_of(rel)
            if isinstance(layout, list):
                names = ", ".join(found.path for found in layout)
                issue = Issue(
                    rel, None, None, "layout_ambiguous", None, f"matched by more than one layout ({names}): narrow their files"
                )
                keep = keeps_served(rel, True)
                load_id = warehouse.record_quarantine(con, record(rel, sha, started, _size(path)), [issue], [], keep_served=keep)
                outcomes.append(
                    FileOutcome(family.name, rel, "quarantined", 0, [issue], load_id, note=KEPT_NOTE if keep else None)
                )
                continue
            to_read.append(ReadJob(path, rel, sha, started, layout, _size(path)))
        # Read and parsed by a pool of processes where it pays (parallel_read.py), handed back in this order.
        for job, read in read_in_order(to_read, family, units, labels):
            if isinstance(read, Deferred):
                defer(job.rel, read.reason)
                continue
            batch, size = read
            pending.append(_Pending(job.path, job.rel, job.sha256, size, job.started, batch))
            if sliced and sum(p.batch.rows_read for p in pending) >= SLICE_ROWS:  # validate and commit, then let go
                outcomes += settle(pending)
                pending = []
        if pending:
            outcomes += settle(pending)

        gone = {rel: sha for sha, rels in gone_by_sha.items() for rel in rels}
        if family in FACT_FAMILIES and gone and set(served) <= set(gone):
            folder = family_folder(family)
            if not warehouse.is_confirmed(con, folder, emptying_key(gone)):  # a folder emptied by mistake?
                note = (
                    f"every one of the {len(gone)} file(s) {folder} served is gone: withdrawing them all would leave the "
                    f"release without a figure of {family.name}, so nothing is withdrawn. Put the files back, or confirm: "
                    f"{confirm_command(folder)}"
                )
                log.warning("held the withdrawal of every %s file: %s", family.name, note)
                outcomes += [FileOutcome(family.name, rel, "held", note=note) for rel in gone]
                gone_by_sha = {}
        for sha, rels in gone_by_sha.items():
            for rel in rels:
                reason = "the file is no longer in the raw folder (deleted, or renamed with changed content)"
                load_id = warehouse.record_withdrawal(con, record(rel, sha, datetime.now()), reason)
                log.warning("withdrawn %s: %s", rel, reason)
                outcomes.append(FileOutcome(family.name, rel, "withdrawn", 0, [], load_id, note=reason))
    return sorted(outcomes, key=lambda o: o.file_path)


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


def _refuse_keys_shared_across_files(family, warehouse, con, pending, issues_of, present, record) -> list[FileOutcome]:
    """A key (a target id) defined in two files is refused in both: which one is right is a steward's call.

    Files already served that now share a key with another file are quarantined here too, so the
    outcome is the same whichever file arrived first.
    """
    keyed = {p.rel: p.batch.frame for p in pending if p.batch.rows_read and not issues_of[p.rel]}
    served_unchanged = [rel for rel in present if rel not in issues_of]
    keyed.update(warehouse.served_keys(con, family, served_unchanged))
    shared = duplicates_across_files(family, keyed)
    outcomes = []
    for rel, issues in shared.items():
        if rel in issues_of:
            issues_of[rel] += issues
            continue
        load_id = warehouse.record_quarantine(con, record(rel, present[rel], datetime.now()), issues, [])
        log.warning("quarantined %s: %s", rel, issues[0])
        outcomes.append(FileOutcome(family.name, rel, "quarantined", 0, issues, load_id))
    return outcomes
