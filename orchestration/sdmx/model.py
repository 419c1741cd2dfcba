"""An SDMX structure as plain values (pure): codelists, components and dataflows, named in English and Chinese.

These are what the catalogue and the vocabularies are turned into; structures.py turns them into pysdmx's model and
SDMX-ML, versions.py decides their versions, export.py writes the data of a dataflow with one SQL expression per
component.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Name:
    en: str
    zh: str


@dataclass(frozen=True)
class Code:
    id: str
    name: Name
    annotations: tuple[tuple[str, str], ...] = ()  # (type, text): a region's level, parent, successor, ...


@dataclass(frozen=True)
class CodeList:
    id: str
    name: Name
    codes: tuple[Code, ...]

    def items(self) -> dict[str, str]:
        """Each code's content, to tell what changed between two versions (versions.py)."""
        return {c.id: json.dumps([c.name.en, c.name.zh, list(c.annotations)], ensure_ascii=False) for c in self.codes}


DIMENSION, TIME, MEASURE, ATTRIBUTE = "dimension", "time", "measure", "attribute"
SDMX_ML = "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/"  # + structure, common: the message's namespaces
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Component:
    """One column of a dataflow: its concept's names, its role, its codelist (None for text) and the SQL expression
    (over the dataflow's mart, text or NULL) that gives its value in the SDMX-CSV file."""

    id: str
    name: Name
    role: str
    sql: str
    codelist: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Flow:
    """A dataflow and its data structure: one table of the marts, one SDMX-CSV file."""

    id: str  # OBSERVATIONS → DSD_OBSERVATIONS, DF_OBSERVATIONS, OBSERVATIONS.csv
    name: Name
    source: str  # the FROM clause over the marts (schema marts)
    components: tuple[Component, ...]

    @property
    def dsd_id(self) -> str:
        return f"DSD_{self.id}"

    @property
    def dataflow_id(self) -> str:
        return f"DF_{self.id}"

    @property
    def dimensions(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.role in (DIMENSION, TIME))

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.components)


def fingerprint(items: dict[str, str], own: str = "") -> str:
    """A stable digest of an artefact's content (its items and its own names)."""
    return hashlib.sha256(json.dumps([own, sorted(items.items())], ensure_ascii=False).encode()).hexdigest()
