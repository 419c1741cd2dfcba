"""Read one raw file into a parsed batch: typed columns, source line numbers and parse issues.

Pure: no Dagster, no DuckDB, no Great Expectations.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from orchestration.families import Family
from orchestration.parsing import ParseError, parse_bool, parse_date, parse_int, parse_number, parse_period

ROW_COLUMN = "_row"  # line number in the file (header = line 1)


@dataclass(frozen=True)
class Issue:
    """One reason a file cannot be committed, in terms a steward can act on."""

    file: str
    row: int | None  # line in the file; None when the whole file is concerned
    column: str | None
    rule: str
    value: str | None
    message: str

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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _parse_cell(kind: str, text: str) -> dict[str, object]:
    """Parsed value(s) of one cell keyed by stored column suffix; raises ParseError."""
    if kind == "number":
        parsed = parse_number(text)
        return {"": parsed.value, "_decimals": parsed.decimals}
    if kind == "int":
        return {"": parse_int(text)}
    if kind == "bool":
        return {"": parse_bool(text)}
    if kind == "date":
        return {"": parse_date(text)}
    raise AssertionError(kind)


def read_batch(family: Family, path: Path, display_name: str) -> ParsedBatch:
    """Decode, split and type one CSV file. Structural problems and unparseable cells become issues."""
    issues: list[Issue] = []
    empty = ParsedBatch(display_name, pd.DataFrame(), 0, issues)

    def whole_file(rule: str, message: str) -> ParsedBatch:
        issues.append(Issue(display_name, None, None, rule, None, message))
        return empty

    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return whole_file("encoding", f"not valid UTF-8 at byte {exc.start}")
    if not text.strip():
        return whole_file("empty_file", "the file is empty")

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        return whole_file("csv_syntax", str(exc))
    expected = family.column_names
    missing = [c for c in expected if c not in header]
    unexpected = [c for c in header if c not in expected]
    if missing or unexpected or len(set(header)) != len(header):
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if unexpected:
            parts.append(f"unexpected {unexpected}")
        if len(set(header)) != len(header):
            parts.append("duplicated column names")
        return whole_file("columns", f"header must be {expected}: " + "; ".join(parts))

    records: list[dict[str, object]] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) != len(header):
                issues.append(
                    Issue(display_name, line, None, "field_count", None, f"{len(cells)} fields where the header has {len(header)}")
                )
                continue
            raw = dict(zip(header, cells, strict=True))
            record: dict[str, object] = {ROW_COLUMN: line}
            for col in family.columns:
                cell = raw[col.name].strip()
                if col.kind == "text":
                    record[col.name] = cell or None
                    continue
                if not cell and not col.required:
                    record[col.name] = None
                    continue
                try:
                    if col.kind == "period":
                        record[col.name] = cell  # kept as written, even when it cannot be parsed
                        period = parse_period(cell)
                        record.update(
                            {
                                "period_label": period.label,
                                "period_kind": period.kind,
                                "period_start": period.start,
                                "period_end": period.end,
                            }
                        )
                    else:
                        for suffix, value in _parse_cell(col.kind, cell).items():
                            record[col.name + suffix] = value
                except ParseError as exc:
                    issues.append(Issue(display_name, line, col.name, f"parse_{col.kind}", cell, str(exc)))
            records.append(record)
    except csv.Error as exc:
        issues.append(Issue(display_name, reader.line_num, None, "csv_syntax", None, str(exc)))

    if not records and not issues:
        return whole_file("no_rows", "the file has a header but no rows")
    columns = [name for name, _ in family.stored_columns()] + [ROW_COLUMN]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return ParsedBatch(display_name, frame, len(records), issues)
