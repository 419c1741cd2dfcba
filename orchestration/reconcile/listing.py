"""What a family's folder holds now, listed before anything is read: the paths a family reads, the paths refused
before they are read (links, paths leading outside raw/, names a person cannot tell apart, unreadable files), the
files still being written (deferred to the next refresh) and the content hash of every other one.

Reads the file system, never the warehouse: reconcile/plan.py decides from the listing what each path becomes.
"""

from __future__ import annotations

import time
from pathlib import Path

from orchestration.domain.families import ALL_FAMILIES, CATALOGUE_FAMILIES, Family
from orchestration.read.file_names import name_key
from orchestration.read.file_snapshot import settle_seconds, unsettled_reason
from orchestration.read.layouts import layout_files
from orchestration.store.hash_cache import HashCache

# Folders of raw/ that are reference material on purpose (the digitised article and its notes; the review files of
# the bulletin extractor, read by the quality report), not ingested.
REFERENCE_FOLDERS = ("articles", "reviews")


class RawFolderError(RuntimeError):
    """The raw folder cannot be refreshed from at all (missing, empty, without catalogues)."""


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
    missing = [f"raw/{f.pattern}" for f in CATALOGUE_FAMILIES if f.required_file and not discover(f, raw_root)]
    if missing:
        raise RawFolderError(
            f"the raw folder {raw_root} has no catalogue {', '.join(missing)}: nothing can be validated without it"
        )


def list_family(
    paths: list[Path], raw_root: Path, hashes: HashCache | None = None
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(present, refused, deferred) of the family's paths, relative to raw/: the content hash of each settled, readable
    file (from `hashes` while the file's stat is unchanged); why a path is refused before it is read; why a file is not
    read this time (still being written)."""
    hashes = hashes or HashCache(None)

    def rel(path: Path) -> str:
        return path.relative_to(raw_root).as_posix()

    refused = {rel(p): reason for p in paths if (reason := refused_path(p, raw_root))}
    refused.update({rel(p): reason for p, reason in same_names(paths).items()})
    present: dict[str, str] = {}
    deferred: dict[str, str] = {}  # still being written: not read this time, and not withdrawn either
    now, settle = time.time(), settle_seconds()
    for path in (p for p in paths if rel(p) not in refused):
        try:
            if reason := unsettled_reason(path, now, settle):
                deferred[rel(path)] = reason
            else:
                present[rel(path)] = hashes.sha256(path)
        except FileNotFoundError:
            deferred[rel(path)] = "disappeared while the refresh read the folder"
        except OSError as exc:  # unreadable (permissions, a device error): refused until it can be read
            refused[rel(path)] = f"the file cannot be read ({exc.strerror or exc})"
    hashes.save()
    return present, refused, deferred
