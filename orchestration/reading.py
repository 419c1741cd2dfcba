"""Read one raw file into a parsed batch: typed columns, source line numbers and parse issues.

Accepts CSV (UTF-8 with or without BOM, else GBK/GB18030, detected) and XLSX (first sheet, header in
the first row). Pure: no Dagster, no DuckDB, no Great Expectations.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

import pandas as pd

from orchestration.families import FILE_TYPES, Family
from orchestration.parsing import ParseError, parse_bool, parse_date, parse_int, parse_number, parse_period, parse_quantity
from orchestration.units import UnitError, to_canonical

ROW_COLUMN = "_row"  # line number in the file (header = line 1); row number in a sheet
MAX_LINE_BYTES = 1 << 20  # a "line" longer than 1 MiB is not a row of figures
SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
csv.field_size_limit(MAX_LINE_BYTES)  # lines were checked against it before splitting


EXCERPT_CHARS = 60  # of a refused cell shown in messages, audit tables and reports
MESSAGE_CHARS = 400  # messages quote cells (parse errors): bounded too


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable excerpt of untrusted text: control characters escaped, long text cut."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit * 2])
    return shown if len(shown) <= limit else shown[:limit] + "…"


@dataclass(frozen=True)
class Issue:
    """One reason a file cannot be committed, in terms a steward can act on."""

    file: str
    row: int | None  # line in the file; None when the whole file is concerned
    column: str | None
    rule: str
    value: str | None  # an excerpt of the offending cell, never more of the file than that
    message: str

    def __post_init__(self) -> None:
        if self.value is not None:
            object.__setattr__(self, "value", excerpt(self.value))
        object.__setattr__(self, "message", excerpt(self.message, MESSAGE_CHARS))

    def __str__(self) -> str:
        where = f"{self.file}" + (f", line {self.row}" if self.row else "") + (f", column {self.column}" if self.column else "")
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}: [{self.rule}] {self.message}{shown}"


@dataclass
class ParsedBatch:
    file: str
    frame: pd.DataFrame  # stored columns plus ROW_COLUMN
    rows_read: int
    issues: list[Issue] = field(default_factory=list)
    encoding: str | None = None  # detected text encoding, or "xlsx"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _FileProblem(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark, as Excel's "Unicode text" saves
        try:
            return _decode(data.decode("utf-16").encode("utf-8"))[0], "utf-16"
        except UnicodeDecodeError:
            raise _FileProblem("encoding", "starts like UTF-16 but does not decode as UTF-16: save the file as UTF-8") from None
    if b"\x00" in data:
        if data[1::2].count(0) > len(data) // 4 or data[0::2].count(0) > len(data) // 4:
            raise _FileProblem("encoding", "looks like UTF-16 without a byte-order mark: save the file as UTF-8")
        raise _FileProblem("binary", "the file contains NUL bytes: it is binary, not a CSV text file")
    if b"\r" in data and b"\n" not in data:  # classic Mac line endings: lines all the same
        data = data.replace(b"\r", b"\n")
    longest = max((len(line) for line in data.split(b"\n")), default=0)
    if longest > MAX_LINE_BYTES:
        raise _FileProblem("line_too_long", f"a line of {longest:,} bytes (limit {MAX_LINE_BYTES:,}): not a table of figures")
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    _refuse_mixed_encoding(data)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise _FileProblem("encoding", "neither UTF-8 nor GBK/GB18030: save the file as UTF-8") from None


def _refuse_mixed_encoding(data: bytes) -> None:
    """A file that is UTF-8 on some lines and not on others was pieced together from two encodings: decoding it
    as GB18030 would store the UTF-8 lines as mojibake, so it is refused, naming the first line that differs."""
    utf8_lines, other_line = 0, None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            other_line = other_line or number
    if utf8_lines and other_line:
        raise _FileProblem(
            "encoding",
            f"mixed encodings: {utf8_lines} line(s) are UTF-8 but line {other_line} is not: save the whole file as UTF-8",
        )


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise _FileProblem("csv_syntax", f"line {reader.line_num}: {exc}") from None


_NUMBER_FORMAT = re.compile(r"^(?:#,##)?0(?:\.(0+))?(%?)$")


def _cell_text(cell) -> str:
    """What the workbook shows in the cell: a number in its number format (0.606 as `0.0%` shows 60.6%)."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, (date, time)):  # datetime is a date: a number shown through a date format
        raise _FileProblem(
            "xlsx_format",
            f"cell {cell.coordinate} is shown as a date or time ({excerpt(cell.number_format)!r}): "
            "type periods as text (2021, 2022H1) and figures as numbers",
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = _NUMBER_FORMAT.match((cell.number_format or "").replace('"', ""))
        if shown:
            decimals, percent = len(shown.group(1) or ""), shown.group(2)
            return f"{value * 100 if percent else value:.{decimals}f}{percent}"
        if (cell.number_format or "General") != "General":
            raise _FileProblem(
                "xlsx_format",
                f"cell {cell.coordinate} has the number format {excerpt(cell.number_format)!r}, "
                "which is not read here: use General, 0, 0.0…, #,##0… or a percent format",
            )
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The rows of the workbook's one sheet, as shown. Hidden or extra sheets and merged data cells are refused:
    the figures must be what a person opening the file sees, in one table."""
    import zipfile

    from openpyxl import load_workbook

    try:
        # data_only=False: a formula stays visible as "=..." and is refused, never evaluated.
        workbook = load_workbook(path, read_only=False, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _FileProblem("xlsx", f"not a readable XLSX workbook: {excerpt(str(exc))}") from None
    try:
        sheets = workbook.worksheets
        if len(sheets) != 1:
            described = ", ".join(
                f"{excerpt(ws.title, 30)!r}" + ("" if ws.sheet_state == "visible" else f" ({ws.sheet_state})") for ws in sheets
            )
            raise _FileProblem(
                "xlsx_sheets",
                f"the workbook has {len(sheets)} sheets ({described}): keep exactly one "
                "visible sheet with the table (hidden sheets included)",
            )
        sheet = sheets[0]
        if sheet.sheet_state != "visible":
            raise _FileProblem("xlsx_sheets", "the only sheet is hidden: make it visible")
        merged = [r for r in sheet.merged_cells.ranges if r.max_row >= 2]
        if merged:
            first = min(merged, key=lambda r: (r.min_row, r.min_col))
            raise _FileProblem(
                "xlsx_merged",
                f"merged cells in the data rows (first: {first.coord}, line {first.min_row}): "
                "unmerge them and repeat the value in every row",
            )
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            yield number, [_cell_text(c) for c in cells]
    finally:
        workbook.close()


def check_file_name(name: str) -> tuple[str, str] | None:
    """(rule, message) when a file name is refused. Names end up in paths, URLs, reports and shell commands."""
    if ".." in name or not SAFE_FILE_NAME.fullmatch(name):
        return (
            "file_name",
            "file names may only use ASCII letters, digits, '-', '_' and '.' (no spaces, no '..', no other scripts): rename the file",
        )
    if Path(name).suffix.lower() not in FILE_TYPES:
        return "file_type", f"only {', '.join(FILE_TYPES)} files are read here"
    return None


def read_batch(family: Family, path: Path, display_name: str, units: Mapping[str, str] | None = None) -> ParsedBatch:
    """Decode, split and type one file. Structural problems and unparseable cells become issues.

    `units` maps indicator codes to their catalogue unit; with it, values are converted into that unit.
    """
    issues: list[Issue] = []
    batch = ParsedBatch(display_name, pd.DataFrame(), 0, issues)

    def whole_file(rule: str, message: str) -> ParsedBatch:
        issues.append(Issue(display_name, None, None, rule, None, message))
        return batch

    if refused := check_file_name(path.name):
        return whole_file(*refused)
    try:
        if path.suffix.lower() == ".xlsx":
            batch.encoding = "xlsx"
            rows = list(_xlsx_rows(path))
        else:
            text, batch.encoding = _decode(path.read_bytes())
            if not text.strip():
                return whole_file("empty_file", "the file is empty")
            rows = list(_csv_rows(text))
    except _FileProblem as problem:
        return whole_file(problem.rule, str(problem))
    rows = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]  # blank lines
    if not rows:
        return whole_file("empty_file", "the file is empty")

    header = [h.strip() for h in rows[0][1]]
    expected = family.column_names
    optional = {c.name for c in family.columns if not c.required}
    missing = [c for c in expected if c not in header and c not in optional]
    unexpected = [c for c in header if c not in expected]
    if missing or unexpected or len(set(header)) != len(header):
        shown = [excerpt(c)[:30] for c in unexpected[:5]] + (["…"] if len(unexpected) > 5 else [])
        parts = [f"missing {missing}"] * bool(missing) + [f"unexpected {shown}"] * bool(unexpected)
        if len(set(header)) != len(header):
            parts.append("duplicated column names")
        return whole_file("columns", f"header must be {expected}: " + "; ".join(parts))

    records = []
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            issues.append(
                Issue(display_name, line, None, "field_count", None, f"{len(cells)} fields where the header has {len(header)}")
            )
            continue
        cells_by_name = dict.fromkeys(optional, "") | dict(zip(header, cells, strict=True))  # an absent optional column is blank
        record, cell_issues = _parse_row(family, cells_by_name, line, display_name, units)
        issues += cell_issues
        records.append(record)

    if not records and not issues:
        return whole_file("no_rows", "the file has a header but no rows")
    columns = [name for name, _ in family.stored_columns()] + [ROW_COLUMN]
    batch.frame = pd.DataFrame.from_records(records, columns=columns)
    batch.rows_read = len(records)
    return batch


def _parse_row(
    family: Family, raw: dict[str, str], line: int, file: str, units: Mapping[str, str] | None
) -> tuple[dict[str, object], list[Issue]]:
    record: dict[str, object] = {ROW_COLUMN: line}
    issues: list[Issue] = []
    for col in family.columns:
        cell = raw[col.name].strip()
        if col.kind == "text":
            record[col.name] = cell or None
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
