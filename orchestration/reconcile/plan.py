"""What a refresh does with each file of a family, decided from data alone: the reconciliation's rules in one place.

From what raw/ holds now (`Folder`: each path's content hash, or why it is refused or deferred, and the layout it
is read through) and what the warehouse records (`Records`: each path's latest record, the versions held, the
refused readings that keep the last accepted one served, the steward's confirmations), `plan_family` returns one
`Action` per path: skip, refuse, defer, still held, still refused, move, read, withdraw or hold the withdrawal.
After a file is read and checked, `after_checks` says whether it is committed, quarantined (and whether its last
accepted reading stays served) or held by the shrink guard. reconcile/family.py carries the actions out.

Pure: no file, no warehouse, no Great Expectations; the rules are unit-tested in milliseconds (tests/test_plan.py),
the whole loop by tests/test_invariant.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from orchestration.domain.families import FACT_FAMILIES, Family
from orchestration.store.ingest_state import emptying_key, family_folder
from orchestration.store.load_outcomes import confirm_command

# What an action does (reconcile/family.py): record nothing, record a refusal, read the file, or record a withdrawal.
SKIP, REFUSE_PATH, DEFER, STILL_HELD, STILL_REFUSED = "skip", "refuse_path", "defer", "still_held", "still_refused"
MOVE, REFUSE_AMBIGUOUS, READ, WITHDRAW, HOLD_WITHDRAWAL = "move", "refuse_ambiguous", "read", "withdraw", "hold_withdrawal"
# After the checks of a file read this time.
COMMIT, QUARANTINE, HOLD = "commit", "quarantine", "hold"

GONE_REASON = "the file is no longer in the raw folder (deleted, or renamed with changed content)"
UNCHANGED_SINCE_REFUSED = "unchanged since refused"


@dataclass(frozen=True)
class Folder:
    """What the family's folder holds now, listed (paths relative to raw/, in the order they are taken)."""

    present: Mapping[str, str]  # path -> content hash: settled and readable
    refused: Mapping[str, str] = field(default_factory=dict)  # path -> why it is refused before it is read
    deferred: Mapping[str, str] = field(default_factory=dict)  # path -> why it is not read this time (being written)
    # path -> the layout version (and catalogue names) it is read with; a tuple of layout paths when several match
    layouts: Mapping[str, str | tuple[str, ...] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Latest:
    """A path's latest record that is not a held version nor a refusal keeping the accepted reading served."""

    status: str  # loaded, quarantined, withdrawn, moved
    sha256: str
    fingerprint: str  # what a quarantine depended on besides the file (catalogue, and the family's other files)
    layout: str | None  # the layout ident it was read with


@dataclass(frozen=True)
class Records:
    """What the warehouse records of the family."""

    latest: Mapping[str, Latest] = field(default_factory=dict)
    held: Mapping[str, tuple[str, bool, str | None]] = field(default_factory=dict)  # path -> (hash, confirmed, layout)
    kept: Mapping[str, tuple[str, str, str | None]] = field(default_factory=dict)  # path -> (hash, fingerprint, layout)
    confirmed: frozenset[tuple[str, str]] = frozenset()  # (path or folder, hash or key) a steward confirmed

    @cached_property  # asked for every file of the family: derived once
    def served(self) -> dict[str, str]:
        """Path -> content hash of every file whose rows are served now (its latest record is a load)."""
        return {path: latest.sha256 for path, latest in self.latest.items() if latest.status == "loaded"}


@dataclass(frozen=True)
class Action:
    kind: str
    path: str
    sha256: str | None = None
    note: str | None = None  # the reason of a refusal, a deferral or a withdrawal; what a hold asks for
    moved_from: str | None = None
    keeps_served: bool = False  # a refusal that leaves the path's last accepted reading served


def refused_path_hash(reason: str) -> str:
    """What a path refused before it is read is recorded under: the same refusal is not recorded again."""
    return hashlib.sha256(f"refused path: {reason}".encode()).hexdigest()


def previous_outcome(records: Records, path: str, sha256: str, fingerprint: str, layout: str | None) -> str | None:
    """'loaded' if this exact content, read through the same layout, is what the path serves now; 'quarantined' if it
    failed against the same fingerprint. None: read it. Only the path's latest record counts: a file withdrawn, moved
    away or replaced is read again; so is a file whose layout changed (another layout may read other figures)."""
    latest = records.latest.get(path)
    if latest is None or latest.sha256 != sha256 or latest.layout != layout:
        return None
    if latest.status == "loaded" or (latest.status == "quarantined" and latest.fingerprint == fingerprint):
        return latest.status
    return None


def keeps_served(family: Family, records: Records, path: str, sha256: str, through_layout: bool) -> bool:
    """A bureau's table (read through a layout, now or when last accepted) whose reading is refused keeps its last
    accepted reading served: a layout slip or a re-saved table never empties what was published. Unless a steward
    confirmed that this refused version serves nothing (make confirm FILE=…)."""
    latest = records.latest.get(path)
    table = through_layout or (latest is not None and latest.layout is not None)
    return family in FACT_FAMILIES and path in records.served and table and (path, sha256) not in records.confirmed


def plan_family(family: Family, folder: Folder, records: Records, fingerprint: str) -> list[Action]:
    """One action per path of the folder and per served path that is gone, in the order they are carried out."""
    actions = [_refusal(records, path, reason, fingerprint, folder.layouts.get(path)) for path, reason in folder.refused.items()]
    actions += [Action(DEFER, path, note=reason) for path, reason in folder.deferred.items()]
    served = records.served
    gone_by_sha: dict[str, list[str]] = {}
    for path, sha in served.items():
        if path not in folder.present and path not in folder.deferred:
            gone_by_sha.setdefault(sha, []).append(path)
    for path, sha in folder.present.items():
        actions.append(_present(family, records, path, sha, fingerprint, folder.layouts.get(path), gone_by_sha))
    gone = {path: sha for sha, paths in gone_by_sha.items() for path in paths}
    return actions + _gone(family, records, gone)


def _ident(layout: str | tuple[str, ...] | None) -> str | None:
    """The layout version a path is read with; None when no layout, or more than one, matches it."""
    return layout if isinstance(layout, str) else None


def _refusal(records: Records, path: str, reason: str, fingerprint: str, layout) -> Action:
    sha = refused_path_hash(reason)
    if previous_outcome(records, path, sha, fingerprint, _ident(layout)) == "quarantined":
        return Action(SKIP, path, sha)
    return Action(REFUSE_PATH, path, sha, note=reason)


def _present(family, records: Records, path, sha, fingerprint, layout, gone_by_sha: dict[str, list[str]]) -> Action:
    ident = _ident(layout)
    previous = previous_outcome(records, path, sha, fingerprint, ident)
    if previous == "loaded":  # unchanged since loaded
        return Action(SKIP, path, sha)
    if records.held.get(path) == (sha, False, ident):  # held, not confirmed yet: the old version is served
        note = f"still held by the shrink guard (the previous version is served): {confirm_command(path)}"
        return Action(STILL_HELD, path, sha, note=note)
    if records.kept.get(path) == (sha, fingerprint, ident) and (path, sha) not in records.confirmed:
        return Action(STILL_REFUSED, path, sha, keeps_served=True)
    if previous == "quarantined":  # refused under the same fingerprint, unchanged: still not served
        return Action(STILL_REFUSED, path, sha, note=UNCHANGED_SINCE_REFUSED)
    if path not in records.served and gone_by_sha.get(sha) and layout is None:  # the same publication, renamed
        return Action(MOVE, path, sha, moved_from=gone_by_sha[sha].pop(0))
    if isinstance(layout, tuple):
        note = f"matched by more than one layout ({', '.join(layout)}): narrow their files"
        return Action(REFUSE_AMBIGUOUS, path, sha, note=note, keeps_served=keeps_served(family, records, path, sha, True))
    return Action(READ, path, sha)


def _gone(family: Family, records: Records, gone: dict[str, str]) -> list[Action]:
    """Served files no longer in the folder are withdrawn; all of a fact family's at once only when confirmed."""
    if family in FACT_FAMILIES and gone and set(records.served) <= set(gone):
        folder = family_folder(family)
        if (folder, emptying_key(gone)) not in records.confirmed:  # a folder emptied by mistake?
            note = (
                f"every one of the {len(gone)} file(s) {folder} served is gone: withdrawing them all would leave the "
                f"release without a figure of {family.name}, so nothing is withdrawn. Put the files back, or confirm: "
                f"{confirm_command(folder)}"
            )
            return [Action(HOLD_WITHDRAWAL, path, sha, note=note) for path, sha in gone.items()]
    return [Action(WITHDRAW, path, sha, note=GONE_REASON) for path, sha in gone.items()]


def after_checks(
    family: Family, records: Records, path: str, sha256: str, refused: bool, through_layout: bool, shrinks: bool
) -> tuple[str, bool]:
    """What becomes of a file read this time: (commit, quarantine or hold; whether a quarantine keeps the last accepted
    reading served). `shrinks`: the new version would withdraw more of the path's served figures than the shrink guard
    lets through without a confirmation."""
    if refused:
        return QUARANTINE, keeps_served(family, records, path, sha256, through_layout)
    if shrinks and replaces_served(family, records, path) and (path, sha256) not in records.confirmed:
        return HOLD, False
    return COMMIT, False


def replaces_served(family: Family, records: Records, path: str) -> bool:
    """A new version of a served fact file: its figure diff is measured before it is committed."""
    return family in FACT_FAMILIES and path in records.served
