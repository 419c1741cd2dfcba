"""Read one raw file into a parsed batch: typed columns, source line numbers and parse issues.

Accepts CSV (UTF-8 with or without BOM, else GBK/GB18030, detected) and XLSX (first sheet, header in
the first row). Pure: no Dagster, no DuckDB, no Great Expectations.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pandas as pd

from orchestration.domain.breakdowns import breakdown_keys
from orchestration.domain.families import BREAKDOWN_DIMENSIONS, Family
from orchestration.domain.issues import ROW_COLUMN, Issue, excerpt
from orchestration.domain.parsing import (
    ParseError,
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    parse_period,
    parse_quantity,
    parse_timestamp,
)
from orchestration.domain.units import UnitError, to_canonical
from orchestration.read.easyquery import EasyqueryRefused, reshape_easyquery
from orchestration.read.file_names import check_file_name
from orchestration.read.layouts import Layout
from orchestration.read.long_rows import FileProblem, cell_text, csv_rows, decode, xlsx_rows
from orchestration.read.sheet_grid import SheetProblem, read_grid, read_legacy_grid
from orchestration.read.table_layout import Labels, reshape_table

log = logging.getLogger(__name__)


# Types read only through a layout (raw/catalogue/layouts/), or not at all, and what to do instead.
LAYOUT_ONLY_TYPES = {
    ".json": ("layout_missing", "a .json file is read only through a layout of format easyquery (raw/catalogue/layouts/)"),
    ".xls": ("layout_missing", "an .xls workbook is read only through a layout (raw/catalogue/layouts/): describe its table"),
}


@dataclass
class ParsedBatch:
    file: str
    frame: pd.DataFrame  # stored columns plus ROW_COLUMN
    rows_read: int
    issues: list[Issue] = field(default_factory=list)
    encoding: str | None = None  # detected text encoding, or "xlsx"
    layout: str | None = None  # the layout it was read through (Layout.ident), for audit.loads
    note: str | None = None  # what a steward should know of a file that loads (figures a partial layout passed over)


READ_CHUNK_ROWS = 100_000  # rows typed at a time (see _read_batch)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Typing a file allocates millions of small objects and no reference cycles: Python's cyclic collector would
    scan them again and again (half the time of a 50,000-row file). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_batch(
    family: Family,
    path: Path,
    display_name: str,
    units: Mapping[str, str] | None = None,
    data: bytes | None = None,
    layout: Layout | None = None,
    labels: Labels | None = None,
) -> ParsedBatch:
    """Decode, split and type one file. Structural problems and unparseable cells become issues.

    `units` maps indicator codes to their catalogue unit; with it, values are converted into that unit.
    `data` is the file's content as already read (and hashed) by the caller: the bytes recorded are the bytes
    parsed. Without it the file is read here.

    Fails closed: whatever goes wrong while reading one file (a parser's own exception included) becomes an issue of
    that file, never an exception that would stop the family or the refresh.

    With `layout` the file is a bureau's table or data-query response, reshaped through the layout into the family's
    columns (`labels`: the catalogue's names of indicators and regions); each row keeps its cell in `source_cell`.
    """
    with _cyclic_gc_paused():
        try:
            if layout is not None:
                return _read_through_layout(family, path, display_name, units, data, layout, labels or Labels({}, {}, {}))
            return _read_batch(family, path, display_name, units, data)
        except Exception as exc:  # a bug or a parser's surprise: this file is refused, the others go on
            log.exception("reading %s failed", display_name)
            message = f"the file could not be read ({type(exc).__name__}: {exc}): send it to the maintainers with this message"
            return ParsedBatch(display_name, pd.DataFrame(), 0, [Issue(display_name, None, None, "read_error", None, message)])


def _read_batch(
    family: Family, path: Path, display_name: str, units: Mapping[str, str] | None, data: bytes | None
) -> ParsedBatch:
    issues: list[Issue] = []
    batch = ParsedBatch(display_name, pd.DataFrame(), 0, issues)

    def whole_file(rule: str, message: str) -> ParsedBatch:
        issues.append(Issue(display_name, None, None, rule, None, message))
        return batch

    if refused := check_file_name(path.name):
        return whole_file(*refused)
    if path.suffix.lower() in LAYOUT_ONLY_TYPES:
        return whole_file(*LAYOUT_ONLY_TYPES[path.suffix.lower()])
    try:
        if data is None:
            data = path.read_bytes()
        if path.suffix.lower() == ".xlsx":
            batch.encoding = "xlsx"
            source = xlsx_rows(data)
        else:
            text, batch.encoding = decode(data)
            del data  # the decoded text is what is split from here on
            if not text.strip():
                return whole_file("empty_file", "the file is empty")
            source = csv_rows(text)
        rows = ((line, cells) for line, cells in source if any(c.strip() for c in cells))  # blank lines
        first = next(rows, None)
        if first is None:
            return whole_file("empty_file", "the file is empty")

        header = [h.strip() for h in first[1]]
        if wrong := _header_problem(family, header):
            return whole_file("columns", wrong)

        # Typed a chunk at a time: a chunk's cells are Python strings until its frame holds them as Arrow text, so
        # memory follows the typed file, not every cell of it as an object.
        columns = [name for name, _ in family.stored_columns()] + [ROW_COLUMN]
        frames, cell_issues = [], []
        while chunk := list(islice(rows, READ_CHUNK_ROWS)):
            well_formed: list[tuple[int, list[str]]] = []
            for line, cells in chunk:
                if len(cells) != len(header):
                    message = f"{len(cells)} fields where the header has {len(header)}"
                    issues.append(Issue(display_name, line, None, "field_count", None, message))
                else:
                    well_formed.append((line, cells))
            if well_formed:
                parsed, found = _parse_rows(family, header, well_formed, display_name, units)
                cell_issues += found
                frames.append(pd.DataFrame(parsed, columns=columns))
    except FileProblem as problem:
        issues.clear()  # the file as a whole is refused: its lines were not all read
        return whole_file(problem.rule, str(problem))
    if cell_issues:  # in line order, as a steward reads the file (a line has field-count or cell issues, not both)
        issues[:] = sorted([*issues, *cell_issues], key=lambda i: i.row or 0)

    if not frames and not issues:
        return whole_file("no_rows", "the file has a header but no rows")
    if len(frames) > 1:  # a column blank in one chunk is untyped there: typed again over the whole file
        batch.frame = pd.concat(frames, ignore_index=True).infer_objects()
    else:
        batch.frame = frames[0] if frames else pd.DataFrame(columns=columns)
    batch.rows_read = len(batch.frame)
    return batch


def _header_problem(family: Family, header: list[str]) -> str | None:
    """What is wrong with a long file's header: columns missing, unknown or named twice."""
    expected = family.column_names
    optional = {c.name for c in family.columns if not c.required}
    missing = [c for c in expected if c not in header and c not in optional]
    unexpected = [c for c in header if c not in expected]
    if not (missing or unexpected or len(set(header)) != len(header)):
        return None
    shown = [excerpt(c)[:30] for c in unexpected[:5]] + (["…"] if len(unexpected) > 5 else [])
    parts = [f"missing {missing}"] * bool(missing) + [f"unexpected {shown}"] * bool(unexpected)
    if len(set(header)) != len(header):
        parts.append("duplicated column names")
    return f"header must be {expected}: " + "; ".join(parts)


def _read_through_layout(
    family: Family,
    path: Path,
    display_name: str,
    units: Mapping[str, str] | None,
    data: bytes | None,
    layout: Layout,
    labels: Labels,
) -> ParsedBatch:
    """A bureau's table (or data-query response) through its layout: the reshaped rows are typed and checked exactly
    as a long file's rows are; every issue names the cell (or JSON path) it comes from."""
    batch = ParsedBatch(display_name, pd.DataFrame(), 0, [], layout=layout.ident)

    def refused(rule: str, message: str, cell: str | None = None, value: str | None = None) -> ParsedBatch:
        batch.issues.append(Issue(display_name, None, cell, rule, value, message))
        return batch

    if refused_name := check_file_name(path.name):
        return refused(*refused_name)
    suffix = path.suffix.lower()
    expected = (".json",) if layout.format == "easyquery" else (".xlsx", ".xls")
    if suffix not in expected:
        return refused(
            "layout_file_type", f"the layout {layout.path} reads {' or '.join(expected)} files (format {layout.format})"
        )
    if data is None:
        data = path.read_bytes()
    try:
        if layout.format == "easyquery":
            batch.encoding = "json"
            reshaped = reshape_easyquery(data, layout, labels)
        else:
            batch.encoding = suffix[1:]
            grid = read_grid(data, layout.sheet, cell_text) if suffix == ".xlsx" else read_legacy_grid(data, layout.sheet)
            reshaped = reshape_table(grid, layout, labels, frozenset((units or {}).values()))
    except (SheetProblem, FileProblem) as problem:
        return refused(problem.rule, str(problem))
    except EasyqueryRefused as problem:
        return refused("json", str(problem))
    if reshaped.issues:  # the file does not look as its layout declares: nothing of it is read
        for found in reshaped.issues:
            batch.issues.append(Issue(display_name, None, found.cell, found.rule, found.value, f"{layout.path}: {found.message}"))
        return batch
    batch.note = reshaped.ignored_note()
    if not reshaped.records:
        return refused(
            "no_rows", f"no figures found through the layout {layout.path}" + (f" ({batch.note})" if batch.note else "")
        )
    header = family.column_names
    rows = [(n, [record.get(name, "") for name in header]) for n, record in enumerate(reshaped.records, start=1)]
    parsed, found = _parse_rows(family, header, rows, display_name, units)
    batch.frame = pd.DataFrame(parsed, columns=[name for name, _ in family.stored_columns()] + [ROW_COLUMN])
    batch.rows_read = len(batch.frame)
    batch.issues = locate_issues(batch, found)
    return batch


def locate_issues(batch: ParsedBatch, issues: list[Issue]) -> list[Issue]:
    """Issues of a file read through a layout name its cells, not the rows the reshape numbered."""
    if batch.layout is None or "source_cell" not in batch.frame:
        return issues
    cells = dict(zip(batch.frame[ROW_COLUMN], batch.frame["source_cell"], strict=True))
    out = []
    for found in issues:
        cell = cells.get(found.row) if found.row is not None else None
        if cell is None:
            out.append(found)
            continue
        message = f"{found.column}: {found.message}" if found.column else found.message
        out.append(Issue(found.file, None, cell, found.rule, found.value, message))
    return out


# A figure as most rows of a national publication print it: plain digits, a point and decimals (1876, 45.7, -0.5).
_PLAIN_FIGURE = re.compile(r"-?[0-9]+(?:\.([0-9]+))?")


def _parse_rows(
    family: Family,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    file: str,
    units: Mapping[str, str] | None,
    columnar: bool = True,
) -> tuple[dict[str, list], list[Issue]]:
    """The stored columns of the well-formed rows, in file order, and the cells' issues.

    Column by column: a row whose figure is plain digits, whose period parses and whose unit is already the
    indicator's is typed in bulk; every other row (15.5万, 约40, Ⅲ类, full-width digits, another unit, a cell
    that does not parse) goes through `_parse_row`, as every row did before: same values, same issues.
    `columnar=False` sends every row that way (the reference the tests compare the bulk path with).
    """
    n = len(rows)
    lines = [line for line, _ in rows]
    by_name = dict(zip(header, zip(*(cells for _, cells in rows), strict=True), strict=True)) if n else {}
    text = {
        c.name: [cell.strip() for cell in by_name[c.name]] if c.name in by_name else [""] * n for c in family.columns
    }  # an absent optional column is blank
    stored = [name for name, _ in family.stored_columns()]
    bulk = (
        columnar and family.converts_units and bool(units) and {c.kind for c in family.columns} <= {"text", "period", "quantity"}
    )
    if bulk:  # the observations' shape: one period, one figure, its unit, indicator and qualifier columns
        period_col = next(c.name for c in family.columns if c.kind == "period")
        value_col = next(c.name for c in family.columns if c.kind == "quantity")
        periods = {p: _period_or_none(p) for p in set(text[period_col])}
        figures = [_PLAIN_FIGURE.fullmatch(v) for v in text[value_col]]
        fast = [
            periods[p] is not None and f is not None and u != "" and units.get(i) == u
            for p, f, u, i in zip(text[period_col], figures, text["unit"], text["indicator_code"], strict=True)
        ]
        columns: dict[str, list] = {}
        for col in family.columns:
            cells = text[col.name]
            if col.kind == "text":
                columns[col.name] = [cell or col.default for cell in cells]
            elif col.kind == "period":
                columns[col.name] = list(cells)  # copies: the slow rows below still read `text`
                parsed = [periods[p] for p in cells]
                columns["period_label"] = [p.label if p else None for p in parsed]
                columns["period_kind"] = [p.kind if p else None for p in parsed]
                columns["period_start"] = [p.start if p else None for p in parsed]
                columns["period_end"] = [p.end if p else None for p in parsed]
            else:
                columns[col.name] = [float(v) if f else None for v, f in zip(cells, figures, strict=True)]
                columns[f"{col.name}_decimals"] = [len(f.group(1) or "") if f else None for f in figures]
                columns[f"{col.name}_text"] = list(cells)
        columns["unit_published"] = columns["unit"][:]
        columns["qualifier"] = [q or "exact" for q in columns["qualifier"]]
        if family.has_breakdown:
            columns["breakdown"] = [None] * n  # made from the dimensions below, once every row is parsed
        slow = [i for i, ok in enumerate(fast) if not ok]
    else:
        columns = {name: [None] * n for name in stored}
        slow = range(n)
    columns[ROW_COLUMN] = lines
    issues: list[Issue] = []
    for i in slow:
        cells_by_name = {name: text[name][i] for name in text}
        record, cell_issues = _parse_row(family, cells_by_name, lines[i], file, units)
        issues += cell_issues
        for name in stored:
            columns[name][i] = record.get(name, float("nan"))  # a cell that did not parse: no value, as before
    if family.has_breakdown:
        columns["breakdown"] = breakdown_keys(*(columns[dim] for dim in BREAKDOWN_DIMENSIONS))
    return columns, issues


def _period_or_none(text: str):
    try:
        return parse_period(text)
    except ParseError:
        return None


def _parse_row(
    family: Family, raw: dict[str, str], line: int, file: str, units: Mapping[str, str] | None
) -> tuple[dict[str, object], list[Issue]]:
    record: dict[str, object] = {ROW_COLUMN: line}
    issues: list[Issue] = []
    for col in family.columns:
        cell = raw[col.name].strip()
        if col.kind == "text":
            record[col.name] = cell or col.default
            continue
        if col.kind == "period":
            record[col.name] = cell  # kept as written, even when it cannot be parsed
        if not cell and not col.required:
            record[col.name] = None
            continue
        try:
            record.update(_parse_cell(col.name, col.kind, cell))
        except ParseError as exc:
            issues.append(Issue(file, line, col.name, f"parse_{col.kind}", cell, str(exc)))
    if family.converts_units:
        issues += _convert_units(record, units or {}, line, file)
    return record, issues


def _parse_cell(name: str, kind: str, text: str) -> dict[str, object]:
    """Stored column(s) of one cell; raises ParseError."""
    if kind == "period":
        period = parse_period(text)
        return {"period_label": period.label, "period_kind": period.kind, "period_start": period.start, "period_end": period.end}
    if kind == "quantity":
        quantity = parse_quantity(text)
        return {name: quantity, f"{name}_text": text}  # converted to a number by _convert_units
    if kind == "number":
        parsed = parse_number(text)
        return {name: parsed.value, f"{name}_decimals": parsed.decimals}
    if kind == "int":
        return {name: parse_int(text)}
    if kind == "bool":
        return {name: parse_bool(text)}
    if kind == "date":
        return {name: parse_date(text)}
    if kind == "timestamp":
        return {name: parse_timestamp(text)}
    raise AssertionError(kind)


def _convert_units(record: dict[str, object], units: Mapping[str, str], line: int, file: str) -> list[Issue]:
    """Turn the parsed Quantity into a number in the indicator's unit; keep the published unit beside it."""
    quantity = record.get("value")
    published_unit = record.get("unit") or ""
    record["unit_published"] = record.get("unit")
    record["value"], record["value_decimals"] = None, None
    if quantity is None or quantity.missing:  # unparseable (already reported) or a missing-value marker
        return []
    issues = []
    written = record.get("qualifier")
    if quantity.qualifier and written and written != quantity.qualifier:
        issues.append(
            Issue(file, line, "qualifier", "qualifier_conflict", written, f"the value's words say {quantity.qualifier!r}")
        )
    record["qualifier"] = written or quantity.qualifier or "exact"
    canonical = units.get(str(record.get("indicator_code")))
    if canonical is None:  # unknown indicator: reported by validation; store as published
        record["value"], record["value_decimals"] = quantity.value * quantity.scale, quantity.decimals
        return issues
    try:
        converted = to_canonical(quantity, str(published_unit), canonical)
    except UnitError as exc:
        issues.append(Issue(file, line, "unit", "unit_conversion", str(published_unit), str(exc)))
        return issues
    record["value"], record["value_decimals"], record["unit"] = converted.value, converted.decimals, canonical
    return issues
