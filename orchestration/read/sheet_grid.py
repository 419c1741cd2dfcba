"""Read one named sheet of a workbook as a Grid (table_layout.py): each cell's text as shown, merged ranges, hidden
rows and columns. The workbook passes workbook_guard first (size, compression ratio, no DTD or entities, not
encrypted or renamed); formulas are refused, never evaluated. Only the sheet the layout names is read: other sheets,
hidden or not, are never loaded.

A legacy .xls workbook (what the national data service and most yearbooks give) is read by python-calamine, after
workbook_guard.check_legacy_workbook (size, an OLE2 container, not encrypted, not an HTML page under an .xls name)
and a bound on the sheet's cells checked before any cell is read."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

from orchestration.read.cell_refs import column_letters
from orchestration.read.table_layout import Grid
from orchestration.read.workbook_guard import MAX_LEGACY_CELLS, WorkbookRefused, check_legacy_workbook, check_workbook


class SheetProblem(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


def open_checked_workbook(data: bytes):
    """The workbook, once its bytes passed workbook_guard; every reader of XLSX opens it here."""
    from openpyxl import load_workbook

    try:
        check_workbook(data)
    except WorkbookRefused as refused:
        raise SheetProblem(refused.rule, str(refused)) from None
    try:
        # data_only=False: a formula stays visible as "=..." and is refused, never evaluated.
        return load_workbook(io.BytesIO(data), read_only=False, data_only=False)
    except Exception as exc:  # openpyxl raises whatever its XML or zip layer raised: every one is this file's problem
        raise SheetProblem("xlsx", f"not a readable XLSX workbook: {type(exc).__name__}: {str(exc)[:80]}") from None


def _chosen_sheet(names: list[str], visible: list[str], requested: str | None) -> str:
    """The sheet to read: the one the layout names (it must exist and be visible), or the only visible one."""
    if requested is None:
        if len(visible) != 1:
            raise SheetProblem("xlsx_sheets", f"the workbook has sheets {names}: name the one to read under sheet in the layout")
        return visible[0]
    if requested not in names:
        raise SheetProblem("layout_sheet", f"no sheet named {requested!r} (the workbook has {names}): renamed?")
    if requested not in visible:
        raise SheetProblem("xlsx_sheets", f"the sheet {requested!r} is hidden: make it visible")
    return requested


def read_grid(data: bytes, sheet_name: str | None, cell_text) -> Grid:
    """`cell_text(cell)` gives what a person sees in a cell (long_rows.cell_text: number formats applied)."""
    from openpyxl.utils import column_index_from_string

    workbook = open_checked_workbook(data)
    try:
        visible = [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
        sheet = workbook[_chosen_sheet([ws.title for ws in workbook.worksheets], visible, sheet_name)]
        cells = {}
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                    raise SheetProblem("formula", f"cell {sheet.title}!{cell.coordinate} holds a formula: paste its value")
                cells[(cell.row, cell.column)] = cell_text(cell)
        merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in sheet.merged_cells.ranges]
        hidden_rows = {n for n, dim in sheet.row_dimensions.items() if dim.hidden}
        hidden_columns = set()
        for letter, dim in sheet.column_dimensions.items():
            if dim.hidden:
                first = column_index_from_string(letter)
                hidden_columns.update(range(min(dim.min or first, first), max(dim.max or first, first) + 1))
        return Grid(sheet.title, cells, merged, hidden_rows, hidden_columns)
    finally:
        workbook.close()


def legacy_cell_text(value: object, ref: str) -> str:
    """What an .xls cell shows, from the value calamine gives: a whole number without ".0", a fraction in its
    shortest form (the double a bureau typed as 3.9 reads back as 3.9). A date is refused as in an XLSX."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (date, time, timedelta)):
        raise SheetProblem("xlsx_format", f"cell {ref} is shown as a date or time: type periods as text and figures as numbers")
    return "" if value is None else str(value)


def read_legacy_grid(data: bytes, sheet_name: str | None) -> Grid:
    """One sheet of an Excel 97-2003 workbook as a Grid. calamine exposes no hidden rows or columns of an .xls, and
    gives a formula's last computed value: both are said in docs/layouts.md."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        check_legacy_workbook(data)
    except WorkbookRefused as refused:
        raise SheetProblem(refused.rule, str(refused)) from None
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own errors for a damaged or protected file
        raise SheetProblem("xls", f"not a readable .xls workbook: {type(exc).__name__}: {str(exc)[:80]}") from None
    visible = [meta.name for meta in workbook.sheets_metadata if meta.visible == SheetVisibleEnum.Visible]
    sheet_name = _chosen_sheet([meta.name for meta in workbook.sheets_metadata], visible, sheet_name)
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        size = (sheet.total_height + 1) * (sheet.total_width + 1)  # the last used row and column, counted from 0
        if size > MAX_LEGACY_CELLS:
            raise SheetProblem("xlsx_too_large", f"the sheet spans {size:,} cells (limit {MAX_LEGACY_CELLS:,}): not one table")
        rows = sheet.to_python(skip_empty_area=False)
        merged = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
    except SheetProblem:
        raise
    except Exception as exc:
        raise SheetProblem("xls", f"the sheet {sheet_name!r} cannot be read: {type(exc).__name__}: {str(exc)[:80]}") from None
    cells = {}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cells[(r, c)] = legacy_cell_text(value, f"{sheet_name}!{column_letters(c)}{r}")
    return Grid(sheet_name, cells, merged)
