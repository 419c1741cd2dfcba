"""A long file (one figure per row, CSV or XLSX) as numbered rows of cell text: the encoding found or refused,
lines bounded, each spreadsheet cell as a person sees it (its number format applied)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, time

from orchestration.domain.issues import excerpt
from orchestration.read.sheet_grid import SheetProblem, open_checked_workbook

MAX_LINE_BYTES = 1 << 20  # a "line" longer than 1 MiB is not a row of figures
csv.field_size_limit(MAX_LINE_BYTES)  # lines were checked against it before splitting


class FileProblem(Exception):
    """The whole file is refused, for `rule`."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark, as Excel's "Unicode text" saves
        try:
            return decode(data.decode("utf-16").encode("utf-8"))[0], "utf-16"
        except UnicodeDecodeError:
            raise FileProblem("encoding", "starts like UTF-16 but does not decode as UTF-16: save the file as UTF-8") from None
    if b"\x00" in data:
        if data[1::2].count(0) > len(data) // 4 or data[0::2].count(0) > len(data) // 4:
            raise FileProblem("encoding", "looks like UTF-16 without a byte-order mark: save the file as UTF-8")
        raise FileProblem("binary", "the file contains NUL bytes: it is binary, not a CSV text file")
    if b"\r" in data and b"\n" not in data:  # classic Mac line endings: lines all the same
        data = data.replace(b"\r", b"\n")
    longest = max((len(line) for line in data.split(b"\n")), default=0)
    if longest > MAX_LINE_BYTES:
        raise FileProblem("line_too_long", f"a line of {longest:,} bytes (limit {MAX_LINE_BYTES:,}): not a table of figures")
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    _refuse_mixed_encoding(data)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise FileProblem("encoding", "neither UTF-8 nor GBK/GB18030: save the file as UTF-8") from None


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
        raise FileProblem(
            "encoding",
            f"mixed encodings: {utf8_lines} line(s) are UTF-8 but line {other_line} is not: save the whole file as UTF-8",
        )


# A line with its ending, split where io.StringIO(newline="") splits (\r\n, \r or \n), without the copy of the whole
# text StringIO makes (four bytes a character: over 1 GB for a 270 MB file).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    return (match.group() for match in _LINE.finditer(text))


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(_lines(text))
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise FileProblem("csv_syntax", f"line {reader.line_num}: {exc}") from None


_NUMBER_FORMAT = re.compile(r"^(#,##)?0(?:\.(0+))?(%?)$")


def cell_text(cell) -> str:
    """What the workbook shows in the cell: a number in its number format (0.606 as `0.0%` shows 60.6%)."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, (date, time)):  # datetime is a date: a number shown through a date format
        raise FileProblem(
            "xlsx_format",
            f"cell {cell.coordinate} is shown as a date or time ({excerpt(cell.number_format)!r}): "
            "type periods as text (2021, 2022H1) and figures as numbers",
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = _NUMBER_FORMAT.match((cell.number_format or "").replace('"', ""))
        if shown:
            grouping, decimals, percent = "," if shown.group(1) else "", len(shown.group(2) or ""), shown.group(3)
            return f"{value * 100 if percent else value:{grouping}.{decimals}f}{percent}"
        if (cell.number_format or "General") != "General":
            raise FileProblem(
                "xlsx_format",
                f"cell {cell.coordinate} has the number format {excerpt(cell.number_format)!r}, "
                "which is not read here: use General, 0, 0.0…, #,##0… or a percent format",
            )
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
    return str(value)


def xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The rows of the workbook's one sheet, as shown. Hidden or extra sheets and merged data cells are refused:
    the figures must be what a person opening the file sees, in one table. The bytes pass workbook_guard first
    (size, compression ratio, no DTD or entities, not encrypted or renamed)."""
    try:
        workbook = open_checked_workbook(data)
    except SheetProblem as problem:
        raise FileProblem(problem.rule, str(problem)) from None
    try:
        sheets = workbook.worksheets
        if len(sheets) != 1:
            described = ", ".join(
                f"{excerpt(ws.title, 30)!r}" + ("" if ws.sheet_state == "visible" else f" ({ws.sheet_state})") for ws in sheets
            )
            raise FileProblem(
                "xlsx_sheets",
                f"the workbook has {len(sheets)} sheets ({described}): keep exactly one "
                "visible sheet with the table (hidden sheets included)",
            )
        sheet = sheets[0]
        if sheet.sheet_state != "visible":
            raise FileProblem("xlsx_sheets", "the only sheet is hidden: make it visible")
        merged = [r for r in sheet.merged_cells.ranges if r.max_row >= 2]
        if merged:
            first = min(merged, key=lambda r: (r.min_row, r.min_col))
            raise FileProblem(
                "xlsx_merged",
                f"merged cells in the data rows (first: {first.coord}, line {first.min_row}): "
                "unmerge them and repeat the value in every row",
            )
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            yield number, [cell_text(c) for c in cells]
    finally:
        workbook.close()
