"""Reshape one sheet into observation rows through its declared layout (layouts.py), or say which cell does not match.

Nothing shifts silently: every declared column's header is compared with what the sheet shows, every cell named in
`checks` (a title, a unit row) too; a non-empty column the layout does not declare, a row label the catalogue does
not know, a hidden row or column, merged cells among the figures: each is an issue naming the sheet and cell, and
the file is refused as a whole. Pure: the sheet arrives as a Grid of the texts a person sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.ingest.layouts import (
    Layout,
    column_index,
    column_letters,
    footnote_marks,
    normalise_header,
    normalise_label,
    split_cell,
)
from orchestration.ingest.parsing import MISSING_MARKERS, ParseError, parse_period


@dataclass
class Grid:
    """A sheet as shown: each non-empty cell's text by (row, column), merged ranges, hidden rows and columns."""

    sheet: str
    cells: dict[tuple[int, int], str]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (min_row, min_col, max_row, max_col)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)

    def text(self, row: int, col: int) -> str:
        return self.cells.get((row, col), "").strip()

    def ref(self, row: int, col: int) -> str:
        return f"{self.sheet}!{column_letters(col)}{row}"

    @property
    def max_row(self) -> int:
        return max((r for r, _ in self.cells), default=0)

    @property
    def max_column(self) -> int:
        return max((c for _, c in self.cells), default=0)


@dataclass(frozen=True)
class Labels:
    """What the catalogue calls things: names and aliases of indicators and regions → codes (None: ambiguous)."""

    indicators: dict[str, str | None]
    regions: dict[str, str | None]
    value_types: dict[str, str]  # indicator code → its value type (the default of a figure's)

    @classmethod
    def build(cls, indicators: list[tuple[str, str, str, str]], regions: list[tuple[str, str, str]]) -> Labels:
        """indicators: (code, name_zh, aliases, value_type); regions: (code, name_zh, aliases). Aliases split on |."""

        def names(rows) -> dict[str, str | None]:
            out: dict[str, str | None] = {}
            for code, name, aliases, *_ in rows:
                for label in {code, name, *(aliases or "").split("|")}:
                    key = normalise_label(label or "")
                    if key:
                        out[key] = code if out.get(key, code) == code else None
            return out

        return cls(names(indicators), names(regions), {code: vt for code, _, _, vt in indicators})


@dataclass(frozen=True)
class CellIssue:
    cell: str  # 表3-1!D5
    rule: str
    value: str | None
    message: str


@dataclass
class Reshaped:
    records: list[dict[str, str]] = field(default_factory=list)  # observation columns as text, plus source_cell
    issues: list[CellIssue] = field(default_factory=list)


def reshape_table(grid: Grid, layout: Layout, labels: Labels) -> Reshaped:
    out = Reshaped()

    def issue(row: int, col: int, rule: str, value: str | None, message: str) -> None:
        out.issues.append(CellIssue(grid.ref(row, col), rule, value, message))

    rows = layout.rows
    assert rows is not None
    top = min(layout.header_rows)
    data_rows = _data_rows(grid, layout)
    last_row = max(data_rows, default=rows.first)
    headers = _headers(grid, layout)

    for ref, expected in layout.checks.items():
        row, col = split_cell(ref)
        shown = grid.text(row, col)
        if normalise_header(shown) != normalise_header(expected):
            issue(row, col, "layout_check", shown, f"shows {shown!r} where the layout expects {expected!r}")
    declared = {column_index(c.letter): c for c in layout.columns}
    for col, spec in declared.items():
        shown = headers.get(col, "")
        if normalise_header(shown) != normalise_header(spec.header or ""):
            issue(
                max(layout.header_rows), col, "layout_header", shown, f"header {shown!r} where the layout expects {spec.header!r}"
            )
    read = set(declared) | {column_index(rows.label)} | ({column_index(rows.unit)} if rows.unit else set())
    read |= {column_index(c) for c in layout.ignore_columns}
    for col in range(1, grid.max_column + 1):
        if col in read:
            continue
        used = [r for r in [*layout.header_rows, *data_rows] if grid.text(r, col)]
        if used:
            issue(
                used[0],
                col,
                "layout_column",
                grid.text(used[0], col),
                f"column {column_letters(col)} is not in the layout (a column inserted?): declare it under columns or ignore_columns",
            )
    for r0, c0, r1, c1 in grid.merged:
        if r1 >= rows.first and r0 <= last_row:
            issue(
                r0,
                c0,
                "layout_merged",
                None,
                f"merged cells {grid.ref(r0, c0)}:{column_letters(c1)}{r1} among the figures: unmerge them",
            )
    for row in sorted(r for r in grid.hidden_rows if top <= r <= last_row):
        issue(row, 1, "layout_hidden", None, f"row {row} is hidden: a figure nobody sees is not loaded; unhide or delete it")
    for col in sorted(c for c in grid.hidden_columns if c in read):
        issue(top, col, "layout_hidden", None, f"column {column_letters(col)} is hidden: unhide or delete it")
    if out.issues:  # the table does not look as declared: nothing of it is read
        return out

    label_col, unit_col = column_index(rows.label), column_index(rows.unit) if rows.unit else None
    skip = {normalise_label(s) for s in rows.skip}
    for row in data_rows:
        label_text = grid.text(row, label_col)
        label = normalise_label(label_text)
        cells = {col: grid.text(row, col) for col in declared}
        if not label:
            if any(cells.values()):
                issue(row, label_col, "layout_label", None, "figures without a row label")
            continue
        if label in skip:
            continue
        meaning, problem = _label_meaning(label, rows.means, rows.period_prefix, layout, labels)
        if problem:
            issue(row, label_col, "layout_label", label_text, problem)
            continue
        row_marks = footnote_marks(label_text)[1]
        for col, spec in declared.items():
            shown = cells[col]
            figure_text, marks = footnote_marks(shown)
            symbol = layout.symbols.get(figure_text)
            if not shown or symbol == "skip":
                continue
            record = {**layout.fixed, **spec.sets, **meaning}
            if unit_col:
                record["unit"] = grid.text(row, unit_col) or record.get("unit", "")
            notes = [record.get("note", "")]
            for mark in [*footnote_marks(headers.get(col, ""))[1], *row_marks, *marks]:
                if mark not in layout.footnotes:
                    issue(row, col, "layout_footnote", shown, f"footnote {mark} is not declared under footnotes")
                    continue
                extra = dict(layout.footnotes[mark])
                notes.append(extra.pop("note", ""))
                record.update(extra)
            if symbol == "missing":
                notes.append(f"published as {figure_text!r}: not available")
            record["note"] = "; ".join(n for n in notes if n)
            record.setdefault("value_type", labels.value_types.get(record.get("indicator_code", ""), ""))
            record.setdefault("obs_status", "normal")
            # a declared symbol the figure parser does not know as "missing" is stored as the usual marker
            record["value"] = "—" if symbol == "missing" and figure_text not in MISSING_MARKERS else figure_text
            record["as_published"] = shown
            record["source_cell"] = grid.ref(row, col)
            out.records.append(record)
    return out


def _headers(grid: Grid, layout: Layout) -> dict[int, str]:
    """Each column's header rows joined (headerJoin), a merged header cell counting in every column it spans."""
    spans: dict[tuple[int, int], str] = {}
    for r0, c0, r1, c1 in grid.merged:
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                spans[(row, col)] = grid.text(r0, c0)
    out = {}
    for col in range(1, grid.max_column + 1):
        parts = []
        for row in layout.header_rows:
            text = spans.get((row, col), grid.text(row, col))
            if text and (not parts or parts[-1] != text):  # a cell merged down over two header rows counts once
                parts.append(text)
        out[col] = layout.header_join.join(parts)
    return out


def _data_rows(grid: Grid, layout: Layout) -> list[int]:
    """rows.first to rows.last, or to the row before the notes (注：…, 资料来源：…) or the sheet's end."""
    rows = layout.rows
    assert rows is not None
    end = rows.last or grid.max_row
    out = []
    for row in range(rows.first, end + 1):
        first_text = grid.text(row, 1) or grid.text(row, column_index(rows.label))
        if rows.last is None and first_text.startswith(rows.notes_start):
            break
        out.append(row)
    return out


def _label_meaning(label: str, means: str, prefix: str, layout: Layout, labels: Labels) -> tuple[dict[str, str], str | None]:
    if means == "period":
        text = layout.labels.get(label, label)
        try:
            return {"period": parse_period(prefix + text if not text[:4].isdigit() else text).label}, None
        except ParseError as exc:
            return {}, f"row label is not a period: {exc}"
    known = labels.indicators if means == "indicator" else labels.regions
    code = layout.labels.get(label) or known.get(label)
    if code is None:
        if label in known:
            return {}, f"row label {label!r} names more than one {means} in the catalogue: map it under labels"
        article = "an" if means == "indicator" else "a"
        return {}, f"row label {label!r} is not {article} {means} in the catalogue nor under the layout's labels"
    return {f"{means}_code": code}, None
