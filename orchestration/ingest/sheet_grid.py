"""Read one named sheet of a workbook as a Grid (table_layout.py): each cell's text as shown, merged ranges, hidden
rows and columns. The workbook passes workbook_guard first (size, compression ratio, no DTD or entities, not
encrypted or renamed); formulas are refused, never evaluated. Only the sheet the layout names is read: other sheets,
hidden or not, are never loaded."""

from __future__ import annotations

import io

from orchestration.ingest.table_layout import Grid
from orchestration.ingest.workbook_guard import WorkbookRefused, check_workbook


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


def read_grid(data: bytes, sheet_name: str | None, cell_text) -> Grid:
    """`cell_text(cell)` gives what a person sees in a cell (reading._cell_text: number formats applied)."""
    from openpyxl.utils import column_index_from_string

    workbook = open_checked_workbook(data)
    try:
        names = [ws.title for ws in workbook.worksheets]
        if sheet_name is None:
            visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
            if len(visible) != 1:
                raise SheetProblem(
                    "xlsx_sheets", f"the workbook has sheets {names}: name the one to read under sheet in the layout"
                )
            sheet = visible[0]
        elif sheet_name not in names:
            raise SheetProblem("layout_sheet", f"no sheet named {sheet_name!r} (the workbook has {names}): renamed?")
        else:
            sheet = workbook[sheet_name]
        if sheet.sheet_state != "visible":
            raise SheetProblem("xlsx_sheets", f"the sheet {sheet.title!r} is hidden: make it visible")
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
