"""Reshape one sheet into observation rows through its declared layout (layouts.py), or say which cell does not match.

Nothing shifts silently: every declared column's header is compared with what the sheet shows, every cell named in
`checks` (a title, a unit row) too; a non-empty column the layout does not declare, a row label the catalogue does
not know, a hidden row or column, merged cells among the figures: each is an issue naming the sheet and cell, and
the file is refused as a whole. Pure: the sheet arrives as a Grid of the texts a person sees.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from orchestration.domain.parsing import MISSING_MARKERS, ParseError, parse_period
from orchestration.domain.units import UNITS
from orchestration.read.cell_refs import column_index, column_letters, split_cell
from orchestration.read.labels import catalogue_names, footnote_marks, normalise_header, normalise_label
from orchestration.read.layouts import ColumnSpec, Layout
from orchestration.read.stated import from_january, known_units, normalise_unit, stated_period, stated_unit


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
    """What the catalogue calls things: names and aliases of indicators, regions and breakdown parts (男, 城镇) → codes
    (None: ambiguous)."""

    indicators: dict[str, str | None]
    regions: dict[str, str | None]
    value_types: dict[str, str]  # indicator code → its value type (the default of a figure's)
    breakdowns: dict[str, tuple[str, str] | None] = field(default_factory=dict)  # name → (dimension, code)

    @classmethod
    def build(
        cls,
        indicators: list[tuple[str, str, str, str]],
        regions: list[tuple[str, str, str]],
        breakdowns: list[tuple[str, str, str, str]] = (),
    ) -> Labels:
        """indicators: (code, name_zh, aliases, value_type); regions: (code, name_zh, aliases); breakdowns:
        (dimension, code, name_zh, aliases). Aliases split on |. A breakdown is named by its names, not its code (M
        or F would read a header's letter as a part)."""

        def names(rows) -> dict[str, str | None]:
            out: dict[str, str | None] = {}
            for code, name, aliases, *_ in rows:
                for _, _, key in catalogue_names(code, name, aliases):
                    out[key] = code if out.get(key, code) == code else None
            return out

        parts: dict[str, tuple[str, str] | None] = {}
        for dim, code, name, aliases in breakdowns:
            for column, _, key in catalogue_names(code, name, aliases):
                if column != "code":
                    parts[key] = (dim, code) if parts.get(key, (dim, code)) == (dim, code) else None
        return cls(names(indicators), names(regions), {code: vt for code, _, _, vt in indicators}, parts)

    @cached_property  # asked for every table of every refresh: the names are hashed once
    def fingerprint(self) -> str:
        """Changes whenever a name, an alias or a default value type changes: a table read through these names is read
        again (what a row label means may have changed)."""
        text = repr(sorted(self.indicators.items())) + repr(sorted(self.regions.items())) + repr(sorted(self.value_types.items()))
        text += repr(sorted(self.breakdowns.items())) if self.breakdowns else ""
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


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
    ignored: dict[str, int] = field(default_factory=dict)  # partial layouts: a label or code not named → figures passed over

    def ignored_note(self) -> str | None:
        if not self.ignored:
            return None
        named = ", ".join(f"{label} ({n})" for label, n in sorted(self.ignored.items())[:10])
        more = f" and {len(self.ignored) - 10} more" if len(self.ignored) > 10 else ""
        return f"partial: {sum(self.ignored.values())} figure(s) under {len(self.ignored)} label(s) or code(s) the layout does not name were passed over: {named}{more}"


def reshape_table(grid: Grid, layout: Layout, labels: Labels, catalogue_units: frozenset[str] = frozenset()) -> Reshaped:
    """The figures of a sheet through its layout, or (nothing and) every cell where the sheet and layout disagree.
    `catalogue_units`: the catalogue's indicator units, read as units where a title or header writes them."""
    out = Reshaped()
    rows = layout.rows
    assert rows is not None
    data_rows = _data_rows(grid, layout)
    headers = _headers(grid, layout)
    declared = _declared_columns(grid, layout, headers, out.issues)
    out.issues += _shape_issues(grid, layout, headers, declared, data_rows)
    units = known_units(catalogue_units | _declared_units(layout, declared))
    title_unit = _title_unit(grid, layout, units)
    header_row = max(layout.header_rows)
    header_units = {  # the unit a column's header states, the cell stating it and its text
        col: (said, grid.ref(header_row, col), grid.text(header_row, col))
        for col in declared
        if (said := stated_unit(headers.get(col, ""), units))
    }
    slips: dict[tuple[str, str, str, str], list[str]] = {}  # (stated, stating cell, its text, declared) → figure cells
    out.issues += _period_issues(grid, layout, headers, declared)
    out.issues += _header_breakdowns(grid, layout, headers, declared, labels)
    if out.issues:  # the table does not look as declared: nothing of it is read
        return out

    label_col, unit_col = column_index(rows.label), column_index(rows.unit) if rows.unit else None
    skip = {normalise_label(s) for s in rows.skip}
    spans: set[str] = set()  # cells of year-to-date rows
    above: dict[str, str] = {}  # the meaning of the last row naming an indicator: 男 / 女 rows under it are its parts
    for row in data_rows:
        label_text = grid.text(row, label_col)
        label = normalise_label(label_text)
        cells = {col: grid.text(row, col) for col in declared}
        if not label:
            if any(cells.values()):
                out.issues.append(CellIssue(grid.ref(row, label_col), "layout_label", None, "figures without a row label"))
            continue
        if label in skip:
            continue
        meaning, problem = _label_meaning(label, rows.means, rows.period_prefix, layout, labels)
        if problem and above and (part := labels.breakdowns.get(label)):
            meaning, problem = {**above, part[0]: part[1]}, None  # 其中：男 under 常住人口: the indicator's part
        elif not problem and rows.means == "indicator":
            above = meaning
        if problem:
            if layout.partial and rows.means != "period":
                out.ignored[label_text] = out.ignored.get(label_text, 0) + sum(1 for text in cells.values() if text)
            else:
                out.issues.append(CellIssue(grid.ref(row, label_col), "layout_label", label_text, problem))
            continue
        row_unit = (said, grid.ref(row, label_col), label_text) if (said := stated_unit(label_text, units)) else None
        for col, spec in declared.items():
            shown = cells[col]
            figure_text, marks = footnote_marks(shown)
            symbol = layout.symbols.get(figure_text)
            if not shown or symbol == "skip":
                continue
            record = {**layout.fixed, **spec.sets, **meaning}
            if unit_col:
                record["unit"] = grid.text(row, unit_col) or record.get("unit", "")
            elif (said := row_unit or header_units.get(col) or _title_covers(title_unit, record.get("unit", ""))) and (
                normalise_unit(record.get("unit", "")) != said[0]
            ):
                slips.setdefault((*said, record.get("unit", "")), []).append(grid.ref(row, col))
                continue
            if rows.from_january(label) and record.get("period"):
                record["period"] = from_january(_canonical(record["period"]))
                spans.add(grid.ref(row, col))
            marks = [*footnote_marks(headers.get(col, ""))[1], *footnote_marks(label_text)[1], *marks]
            _finish_record(record, layout, labels, marks, symbol, figure_text, out.issues, grid.ref(row, col), shown)
            out.records.append(record)
    for (said, cell, text, given), figures in slips.items():
        out.issues.append(
            CellIssue(
                cell,
                "layout_unit",
                text,
                f"states the unit {said!r} where the layout gives {given!r} to {len(figures)} figure(s) ({figures[0]}…): "
                "a figure read in the wrong unit is off by its factor",
            )
        )
    out.records, twins = _one_per_figure(out.records, spans)
    out.issues += twins
    return out


def _finish_record(
    record: dict[str, str],
    layout: Layout,
    labels: Labels,
    marks: list[str],
    symbol: str | None,
    figure_text: str,
    issues: list[CellIssue],
    cell: str,
    shown: str,
) -> None:
    """A figure's footnotes (where they stand: its header, its row label, its cell), notes, defaults and value."""
    notes = [record.get("note", "")]
    for mark in marks:
        if mark not in layout.footnotes:
            issues.append(CellIssue(cell, "layout_footnote", shown, f"footnote {mark} is not declared under footnotes"))
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
    record["source_cell"] = cell


def _declared_columns(grid: Grid, layout: Layout, headers: dict[int, str], issues: list[CellIssue]) -> dict[int, ColumnSpec]:
    """Column index → its spec: the columns declared by letter, and each column of a declared range (B:, B:AH) with
    the period its header states; a column of a range whose header states no period is an issue."""
    declared = {column_index(c.letter): c for c in layout.columns}
    header_row = max(layout.header_rows)
    for spec in layout.column_ranges:
        first = column_index(spec.first)
        last = column_index(spec.last) if spec.last else max((c for c, h in headers.items() if h), default=first)
        for col in range(first, last + 1):
            header = headers.get(col, "")
            period = next((p for part in header.split(layout.header_join) if (p := stated_period(part))), None)
            if col in declared:
                issues.append(
                    CellIssue(grid.ref(header_row, col), "layout_column", header, "declared twice: by letter and in a range")
                )
            elif period is None:
                issues.append(
                    CellIssue(
                        grid.ref(header_row, col),
                        "layout_header",
                        header,
                        f"column {column_letters(col)} is in the range {spec.first}:{spec.last or ''} but its header "
                        f"{header!r} states no period (2019年, 2019年第一季度, 2020年3月)",
                    )
                )
                declared[col] = ColumnSpec(column_letters(col), header, dict(spec.sets))  # claimed: not "undeclared" too
            else:
                declared[col] = ColumnSpec(column_letters(col), header, {**spec.sets, "period": period})
    return dict(sorted(declared.items()))


def _shape_issues(
    grid: Grid, layout: Layout, headers: dict[int, str], declared: dict[int, ColumnSpec], data_rows: list[int]
) -> list[CellIssue]:
    """The sheet against the layout's shape: checked cells, headers, columns nobody declared, merged and hidden cells."""
    rows = layout.rows
    assert rows is not None
    found: list[CellIssue] = []

    def issue(row: int, col: int, rule: str, value: str | None, message: str) -> None:
        found.append(CellIssue(grid.ref(row, col), rule, value, message))

    top = min(layout.header_rows)
    last_row = max(data_rows, default=rows.first)
    for ref, expected in layout.checks.items():
        row, col = split_cell(ref)
        shown = grid.text(row, col)
        if normalise_header(shown) != normalise_header(expected):
            issue(row, col, "layout_check", shown, f"shows {shown!r} where the layout expects {expected!r}")
    by_letter = {column_index(c.letter) for c in layout.columns}
    for col, spec in declared.items():
        shown = headers.get(col, "")
        if col in by_letter and normalise_header(shown) != normalise_header(spec.header or ""):
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
    return found


def _declared_units(layout: Layout, declared: dict[int, ColumnSpec]) -> frozenset[str]:
    return frozenset(u for u in [layout.fixed.get("unit"), *(c.sets.get("unit") for c in declared.values())] if u)


def _title_unit(grid: Grid, layout: Layout, units: frozenset[str]) -> tuple[str, str, str] | None:
    """The unit the rows above the header state (单位：亿元, 指标：地区生产总值(亿元)), its cell and text: every
    figure's, unless its header or row label states its own."""
    for (row, col), text in sorted(grid.cells.items()):
        if row < min(layout.header_rows) and (unit := stated_unit(text, units)):
            return unit, grid.ref(row, col), grid.text(row, col)
    return None


def _title_covers(title_unit: tuple[str, str, str] | None, given: str) -> tuple[str, str, str] | None:
    """A title's unit (单位：亿元) is the unit of the figures whose declared unit measures the same thing (万元 or 亿元,
    人 or 万人): a column of shares or growth rates under it gives its own (城镇化率, in %), which the title does not
    cover. A header's or a row label's unit is the column's or the row's, whatever it measures."""
    if title_unit is None:
        return None
    stated, declared = UNITS.get(title_unit[0]), UNITS.get(normalise_unit(given))
    same_kind = title_unit[0] == normalise_unit(given) or (stated and declared and stated[0] == declared[0])
    return title_unit if same_kind else None


def _period_issues(grid: Grid, layout: Layout, headers: dict[int, str], declared: dict[int, ColumnSpec]) -> list[CellIssue]:
    """A column header that states a period (2019年, 2019年第四季度, 2020年3月, a part of a two-level header) must
    state the period the layout gives its figures."""
    if layout.rows is not None and layout.rows.means == "period":
        return []
    found = []
    for col, spec in declared.items():
        given = spec.sets.get("period", layout.fixed.get("period"))
        for part in headers.get(col, "").split(layout.header_join):
            said = stated_period(part)
            if said and given and said != _canonical(given):
                source = f"columns.{spec.letter}.period" if "period" in spec.sets else "fixed.period"
                found.append(
                    CellIssue(
                        grid.ref(max(layout.header_rows), col),
                        "layout_period",
                        headers[col],
                        f"header {headers[col]!r} states the period {said} where the layout gives {given!r} ({source})",
                    )
                )
    return found


def _header_breakdowns(
    grid: Grid, layout: Layout, headers: dict[int, str], declared: dict[int, ColumnSpec], labels: Labels
) -> list[CellIssue]:
    """A part of a column's header that names a breakdown (男, 女, 城镇, 农村: the catalogue's names) gives the column's
    figures that breakdown; where the layout gives the column another, the file is refused: a slip would serve the
    men's figure as the total's or the women's."""
    found = []
    for col, spec in declared.items():
        for part in headers.get(col, "").split(layout.header_join):
            named = labels.breakdowns.get(normalise_label(part))
            if not named:
                continue
            dim, code = named
            given = spec.sets.get(dim, layout.fixed.get(dim))
            if given and given != code:
                found.append(
                    CellIssue(
                        grid.ref(max(layout.header_rows), col),
                        "layout_breakdown",
                        headers[col],
                        f"header {headers[col]!r} names the {dim} {code} ({part.strip()}) where the layout gives {given!r}",
                    )
                )
            elif not given:  # a copy: the layout's own spec is read by every file it matches
                declared[col] = spec = ColumnSpec(spec.letter, spec.header, {**spec.sets, dim: code})
    return found


def _canonical(period: str) -> str:
    try:
        return parse_period(period).label
    except ParseError:
        return period  # refused when the figure is typed, naming the cell


def _one_per_figure(records: list[dict[str, str]], spans: set[str]) -> tuple[list[dict[str, str]], list[CellIssue]]:
    """A year-to-date row and the period's own row give the same figure where the span is the period itself (Q1's
    累计值 is Q1's 当季值; January's 累计 is January's): kept once when the two cells agree, refused naming both when
    they do not."""
    kept: dict[tuple[str, ...], dict[str, str]] = {}
    out, issues = [], []
    for record in records:
        key = tuple(record.get(k, "") for k in ("region_code", "indicator_code", "period", "value_type"))
        twin = kept.get(key)
        if twin is None or not {twin["source_cell"], record["source_cell"]} & spans:
            kept[key] = record  # two rows of the same kind giving one figure: validation refuses the duplicate
            out.append(record)
        elif twin["value"] != record["value"]:
            issues.append(
                CellIssue(
                    record["source_cell"],
                    "layout_period",
                    record["as_published"],
                    f"gives {key[1]} {key[2]} as {record['value']!r} where {twin['source_cell']} gives {twin['value']!r}",
                )
            )
    return out, issues


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
    end = min(rows.last or grid.max_row, grid.max_row)  # a declared last row beyond the sheet reads to its end
    out = []
    for row in range(rows.first, end + 1):
        first_text = grid.text(row, 1) or grid.text(row, column_index(rows.label))
        if rows.last is None and first_text.startswith(rows.notes_start):
            break
        out.append(row)
    return out


def _note_like(label: str) -> bool:
    """A sentence rather than a name: what a notes row under a table looks like."""
    return any(mark in label for mark in "：:。；") or len(label) > 30


def _label_meaning(label: str, means: str, prefix: str, layout: Layout, labels: Labels) -> tuple[dict[str, str], str | None]:
    if means == "period":
        text = layout.labels.get(label, label)
        try:
            return {"period": parse_period(prefix + text if not text[:4].isdigit() else text).label}, None
        except ParseError as exc:
            return {}, f"row label is not a period: {exc}"
    known = labels.indicators if means == "indicator" else labels.regions
    named, mapped = known.get(label), layout.labels.get(label)
    if named and mapped and mapped != named:  # the catalogue's names first: a layout never gives a name another meaning
        return {}, (
            f"row label {label!r} is the catalogue's name of {named}, but the layout's labels map it to {mapped}: "
            "remove it from labels (or fix the catalogue's names)"
        )
    code = named or mapped
    if code is None:
        if label in known:
            return {}, f"row label {label!r} names more than one {means} in the catalogue: map it under labels"
        article = "an" if means == "indicator" else "a"
        hint = ""
        if _note_like(label):  # a sentence, not a name: the notes under the table, read as a row
            hint = (
                f" (rows.last, {layout.rows.last}, reaches past the table into its notes?)"
                if layout.rows and layout.rows.last
                else " (if the notes under the table start here, add its beginning to rows.notes_start)"
            )
        return {}, f"row label {label!r} is not {article} {means} in the catalogue nor under the layout's labels{hint}"
    return {f"{means}_code": code}, None
