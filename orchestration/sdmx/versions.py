"""Versions of SDMX artefacts (pure): a final structure is never edited in place; a change makes a new version.

SDMX 3.0's semantic versions: a code or component removed breaks a reader (major), and so does a dimension added (every
series key changes); another one added or changed does not (minor), a change of the artefact's own names only is a
patch. The first version is vocabularies.FIRST_VERSION.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.sdmx.model import fingerprint
from orchestration.sdmx.vocabularies import FIRST_VERSION


@dataclass(frozen=True)
class Recorded:
    """The latest recorded version of an artefact and the content it had."""

    version: str
    items: dict[str, str]
    own: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.items, self.own)


def next_version(previous: Recorded | None, items: dict[str, str], own: str) -> str:
    """The version the artefact with this content gets, given the one recorded before it."""
    if previous is None:
        return FIRST_VERSION
    if fingerprint(items, own) == previous.fingerprint:
        return previous.version
    major, minor, patch = (int(p) for p in previous.version.split("."))
    added = set(items) - set(previous.items)
    if set(previous.items) - set(items) or any(_is_dimension(items[i]) for i in added):
        return f"{major + 1}.0.0"
    if items != previous.items:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def _is_dimension(item: str) -> bool:
    """A data structure's component as structures.py records it: its role first (`["dimension", true, …]`)."""
    return item.startswith('["dimension"')
