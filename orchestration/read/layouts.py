"""Declared layouts: how a table a bureau publishes (a yearbook sheet, a monthly release, a data-query response)
becomes observation rows. A steward describes a table once, in raw/catalogue/layouts/<name>.yaml; every file its
`files` globs match is read through it (docs/layouts.md is the guide to every key).

This module reads and checks a layout file: unknown keys, wrong types, a column letter that is not one, a header row
below the data, a figure that would get no region, indicator, period, unit or source. Checks against the catalogue
(codes that exist) run in `check_against_catalogue`. Pure: no Dagster, no DuckDB, no workbook reading.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestration.domain.families import BREAKDOWN_DIMENSIONS
from orchestration.read.cell_refs import column_index, split_cell
from orchestration.read.labels import CIRCLED, normalise_label

LAYOUT_FOLDER = "catalogue/layouts"
LAYOUT_FORMAT_VERSION = 1
# Raised when a table is checked by new rules (2: the periods and units a table states against its layout): every
# table served is read once more, so a slip the earlier rules let through is caught (and its reading kept meanwhile).
TABLE_RULES_VERSION = 2
FORMATS = ("table", "easyquery")
MEANINGS = ("indicator", "region", "period")  # what a table's row labels name
# The observation columns a layout may set (fixed, per column, per footnote): the long file's own names.
FIGURE_KEYS = (
    "region_code",
    "indicator_code",
    "period",
    "unit",
    "value_type",
    "obs_status",
    "qualifier",
    "source_id",
    "note",
    *BREAKDOWN_DIMENSIONS,
    "conf_status",
)
REQUIRED_KEYS = ("region_code", "indicator_code", "period", "unit", "source_id")  # value_type, obs_status have defaults
SYMBOL_MEANINGS = ("missing", "skip")
# A bureau's symbols (统计年鉴 conventions): blank = not available (no figure); "…" = not enough to show; "-" / "—" =
# nil or below the table's unit. Loaded as a missing figure with the symbol as published, unless the layout says skip.
DEFAULT_SYMBOLS = {"…": "missing", "……": "missing", "...": "missing", "-": "missing", "—": "missing", "——": "missing"}
# A row whose label starts so begins the notes under the table (数据来源：国家统计局 ends every export of the
# national data service).
DEFAULT_NOTES_START = ("注", "资料来源", "数据来源", "说明")
MAX_LAYOUT_BYTES = 256 * 1024
_COLUMN = re.compile(r"^[A-Z]{1,3}$")
_RANGE = re.compile(r"^([A-Z]{1,3}):([A-Z]{1,3})?$")  # columns by pattern: "B:" (B to the last headed column), "B:AH"


class LayoutError(ValueError):
    """A layout that cannot be used, with every reason found."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class ColumnSpec:
    letter: str
    header: str | None  # the header text expected (header rows joined), checked on every file
    sets: dict[str, str]  # observation columns this column's figures take


@dataclass(frozen=True)
class ColumnRange:
    """Columns declared by pattern: every column from `first` to `last` (or to the last column with a header) whose
    header states a period takes that period; each one's header is checked to state one."""

    first: str
    last: str | None
    sets: dict[str, str]


@dataclass(frozen=True)
class RowSpec:
    first: int
    label: str  # column letter of the row labels
    means: str  # indicator | region | period
    last: int | None = None
    unit: str | None = None  # column letter holding each row's unit
    notes_start: tuple[str, ...] = DEFAULT_NOTES_START  # a label starting so begins the notes under the table
    skip: tuple[str, ...] = ()  # labels of rows not loaded (a total the catalogue has no region for)
    period_prefix: str = ""  # rows naming periods without their year ("1-9月"): the year, e.g. "2023年"
    # globs of row labels whose figures run from January to their column's period (累计值, 累计增长): under
    # 2019年第三季度 such a row holds 2019M01-09, under 2019年第四季度 the year
    year_to_date: tuple[str, ...] = ()

    def from_january(self, label: str) -> bool:
        return any(fnmatch.fnmatchcase(label, pattern) for pattern in self.year_to_date)


@dataclass(frozen=True)
class Layout:
    path: str  # relative to the raw folder
    sha256: str
    text: str
    format: str
    files: tuple[str, ...]
    description: str = ""
    sheet: str | None = None
    header_rows: tuple[int, ...] = ()
    header_join: str = " / "
    checks: dict[str, str] = field(default_factory=dict)
    rows: RowSpec | None = None
    columns: tuple[ColumnSpec, ...] = ()
    column_ranges: tuple[ColumnRange, ...] = ()
    partial: bool = False  # rows (codes) the layout does not name are ignored and counted, not refused
    ignore_columns: tuple[str, ...] = ()
    fixed: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    symbols: dict[str, str] = field(default_factory=dict)
    footnotes: dict[str, dict[str, str]] = field(default_factory=dict)
    indicators: dict[str, dict[str, str]] = field(default_factory=dict)  # easyquery: zb code → figure keys (+ name)
    regions: dict[str, str] = field(default_factory=dict)  # easyquery: reg code → region code
    cumulative: bool = False  # easyquery: monthly and quarterly figures run from January

    @property
    def ident(self) -> str:
        """What a file read through this layout was read with (audit.loads.layout): a new version of the layout, or of
        the rules tables are read by, reads it again."""
        return f"{self.path}@{self.sha256[:16]}/r{TABLE_RULES_VERSION}"

    def matches(self, rel: str) -> bool:
        """Compared in NFC: a name saved with decomposed characters (as macOS writes them) is the same name."""
        rel = unicodedata.normalize("NFC", rel)
        return any(fnmatch.fnmatchcase(rel, unicodedata.normalize("NFC", pattern)) for pattern in self.files)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class _Reader:
    """Collects every reason a layout is wrong instead of stopping at the first."""

    def __init__(self, data: dict):
        self.data = data
        self.reasons: list[str] = []

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)

    def mapping(self, value: Any, where: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{where} must be a mapping (key: value)")
            return {}
        return value

    def figure_keys(self, value: Any, where: str, allowed: tuple[str, ...] = FIGURE_KEYS) -> dict[str, str]:
        out = {}
        for key, item in self.mapping(value, where).items():
            if key not in allowed:
                self.fail(f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})")
            elif isinstance(item, (dict, list)) or item is None:
                self.fail(f"{where}.{key} must be a single value")
            else:
                out[key] = _text(item).strip()
        return out

    def letter(self, value: Any, where: str) -> str | None:
        text = _text(value).strip()
        if not _COLUMN.fullmatch(text):
            self.fail(f"{where} must be a column letter (A, B, … AA), not {text!r}")
            return None
        return text

    def row_number(self, value: Any, where: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.fail(f"{where} must be a row number (1 or more), not {value!r}")
            return None
        return value

    def strings(self, value: Any, where: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            self.fail(f"{where} must be a list of texts")
            return ()
        return tuple(_text(v) for v in value)


TOP_KEYS = {
    "layout",
    "description",
    "format",
    "files",
    "sheet",
    "dialect",
    "checks",
    "rows",
    "columns",
    "ignore_columns",
    "fixed",
    "labels",
    "symbols",
    "footnotes",
    "indicators",
    "regions",
    "cumulative",
    "partial",
}
TABLE_ONLY = {"sheet", "dialect", "checks", "rows", "columns", "ignore_columns", "labels", "symbols", "footnotes"}
EASYQUERY_ONLY = {"indicators", "regions", "cumulative"}  # partial: both formats
ROW_KEYS = {"first", "last", "label", "means", "unit", "notes_start", "skip", "period_prefix", "year_to_date"}
DIALECT_KEYS = {"headerRows", "headerJoin"}  # Frictionless Table Dialect's names


def parse_layout(text: str, path: str) -> Layout:
    """Read and check one layout file; raises LayoutError with every reason found."""
    if len(text.encode("utf-8")) > MAX_LAYOUT_BYTES:
        raise LayoutError([f"the layout is larger than {MAX_LAYOUT_BYTES // 1024} KiB: not a table description"])
    try:
        _refuse_expanding_yaml(text)
        data = yaml.safe_load(text)  # safe_load: no tags, no Python objects
    except yaml.YAMLError as exc:
        raise LayoutError([f"not valid YAML{_where(exc)}: {getattr(exc, 'problem', None) or str(exc).splitlines()[0]}"]) from None
    if not isinstance(data, dict):
        raise LayoutError(["a layout is a YAML mapping of keys (layout:, files:, …)"])
    r = _Reader(data)
    for key in sorted(set(map(str, data)) - TOP_KEYS):
        r.fail(f"unknown key {key!r}")
    if data.get("layout") != LAYOUT_FORMAT_VERSION:
        r.fail(f"`layout: {LAYOUT_FORMAT_VERSION}` (the layout format's version) must be the first key")
    fmt = _text(data.get("format", "table"))
    if fmt not in FORMATS:
        r.fail(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    files = r.strings(data.get("files"), "files")
    if not files:
        r.fail("files: the globs (under observations/) of the files this layout reads are required")
    for pattern in files:
        if not pattern.startswith("observations/") or ".." in pattern or "/" in pattern[len("observations/") :]:
            r.fail(f"files: {pattern!r} must name files directly in observations/ (e.g. observations/yearbook-*.xlsx)")
    misplaced = sorted(set(map(str, data)) & (EASYQUERY_ONLY if fmt == "table" else TABLE_ONLY))
    if misplaced:
        r.fail(f"{', '.join(misplaced)}: not used by format {fmt}")
    fixed = r.figure_keys(data.get("fixed"), "fixed")
    layout = {
        "path": path,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "text": text,
        "format": fmt,
        "files": files,
        "description": _text(data.get("description")).strip(),
        "fixed": fixed,
    }
    if fmt == "table":
        layout.update(_table_parts(r, data, fixed))
    else:
        layout.update(_easyquery_parts(r, data, fixed))
    if r.reasons:
        raise LayoutError(r.reasons)
    return Layout(**layout)


MAX_LAYOUT_DEPTH = 10  # mappings and lists inside each other: a layout needs four (columns → B → a key's value)


def _refuse_expanding_yaml(text: str) -> None:
    """Walk the YAML's events (a streaming parse: bounded work per byte) before anything is built from them. An anchor
    or alias would let a few hundred bytes expand into gigabytes ("billion laughs"), and nesting a hundred thousand
    deep exhausts the builder's recursion: a layout needs neither, so both are refused with where they are."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark else "?"
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise LayoutError([f"line {line}: anchors and aliases (&name, *name) are not read in a layout: write each value out"])
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_LAYOUT_DEPTH:
                raise LayoutError([f"line {line}: nested deeper than {MAX_LAYOUT_DEPTH} levels: not a table description"])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _where(exc: yaml.YAMLError) -> str:
    """` at line 5, column 3` (counted from 1, as an editor shows them) when the parser knows where it stopped."""
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _partial(r: _Reader, data: dict) -> bool:
    partial = data.get("partial", False)
    if not isinstance(partial, bool):
        r.fail("partial must be true or false")
    return partial is True


def _columns(r: _Reader, data: dict) -> tuple[list[ColumnSpec], list[ColumnRange]]:
    """The data columns declared by letter (each with the header it must show) and by range (B:, B:AH)."""
    columns, ranges = [], []
    for letter, spec in r.mapping(data.get("columns"), "columns").items():
        if m := _RANGE.fullmatch(_text(letter).strip()):
            spec = r.mapping(spec, f"columns.{letter}")
            if "period" in spec or "header" in spec:
                r.fail(f"columns.{letter}: a range of columns takes each column's period from its header (no period, no header)")
            if m.group(2) and column_index(m.group(2)) < column_index(m.group(1)):
                r.fail(f"columns.{letter}: the range runs backwards")
            sets = r.figure_keys({k: v for k, v in spec.items() if k not in ("period", "header")}, f"columns.{letter}")
            ranges.append(ColumnRange(m.group(1), m.group(2), sets))
            continue
        checked = r.letter(letter, f"columns.{letter}")
        spec = r.mapping(spec, f"columns.{letter}")
        header = spec.get("header")
        if header is None or isinstance(header, (dict, list)):
            r.fail(f"columns.{letter}.header: the header text this column must show is required")
        sets = r.figure_keys({k: v for k, v in spec.items() if k != "header"}, f"columns.{letter}")
        if checked:
            columns.append(ColumnSpec(checked, _text(header), sets))
    if not columns and not ranges:
        r.fail("columns: at least one data column (or range of columns, B: or B:AH) is required")
    return columns, ranges


def _table_parts(r: _Reader, data: dict, fixed: dict[str, str]) -> dict:
    dialect = r.mapping(data.get("dialect"), "dialect")
    for key in sorted(set(map(str, dialect)) - DIALECT_KEYS):
        r.fail(f"dialect: unknown key {key!r} (allowed: {', '.join(sorted(DIALECT_KEYS))})")
    header_rows = tuple(h for h in (r.row_number(v, "dialect.headerRows") for v in dialect.get("headerRows", []) or []) if h)
    if not header_rows:
        r.fail("dialect.headerRows: the rows holding the column headers are required (e.g. [3] or [3, 4])")
    row_spec = _row_spec(r, data, header_rows)
    columns, ranges = _columns(r, data)
    if row_spec:
        _every_figure_keyed(r, fixed, row_spec, [*columns, *ranges])
    return {
        "sheet": _text(data["sheet"]) if data.get("sheet") is not None else None,
        "header_rows": header_rows,
        "header_join": _text(dialect.get("headerJoin", " / ")),
        "checks": _checks(r, data),
        "rows": row_spec,
        "columns": tuple(sorted(columns, key=lambda c: column_index(c.letter))),
        "column_ranges": tuple(ranges),
        "partial": _partial(r, data),
        "ignore_columns": _ignored_columns(r, data, columns, row_spec),
        "labels": _labels(r, data),
        "symbols": _symbols(r, data),
        "footnotes": _footnotes(r, data),
    }


def _row_spec(r: _Reader, data: dict, header_rows: tuple[int, ...]) -> RowSpec | None:
    rows_in = r.mapping(data.get("rows"), "rows")
    for key in sorted(set(map(str, rows_in)) - ROW_KEYS):
        r.fail(f"rows: unknown key {key!r} (allowed: {', '.join(sorted(ROW_KEYS))})")
    first = r.row_number(rows_in.get("first"), "rows.first")
    last = r.row_number(rows_in["last"], "rows.last") if rows_in.get("last") is not None else None
    label = r.letter(rows_in.get("label"), "rows.label")
    means = _text(rows_in.get("means"))
    if means not in MEANINGS:
        r.fail(f"rows.means must say what the row labels name: {', '.join(MEANINGS)}")
    unit_col = r.letter(rows_in["unit"], "rows.unit") if rows_in.get("unit") is not None else None
    if first and header_rows and first <= max(header_rows):
        r.fail(f"rows.first ({first}) must come after the header rows ({max(header_rows)})")
    if first and last and last < first:
        r.fail(f"rows.last ({last}) comes before rows.first ({first})")
    if not (first and label and means in MEANINGS):
        return None
    return RowSpec(
        first=first,
        label=label,
        means=means,
        last=last,
        unit=unit_col,
        notes_start=r.strings(rows_in.get("notes_start"), "rows.notes_start") or RowSpec.notes_start,
        skip=r.strings(rows_in.get("skip"), "rows.skip"),
        period_prefix=_text(rows_in.get("period_prefix")).strip(),
        year_to_date=tuple(normalise_label(g) for g in r.strings(rows_in.get("year_to_date"), "rows.year_to_date")),
    )


def _ignored_columns(r: _Reader, data: dict, columns: list[ColumnSpec], row_spec: RowSpec | None) -> tuple[str, ...]:
    """ignore_columns, none of them read: neither a data column nor the rows' label or unit column."""
    ignore = tuple(
        c for c in (r.letter(v, "ignore_columns") for v in r.strings(data.get("ignore_columns"), "ignore_columns")) if c
    )
    taken = {c.letter for c in columns}
    if row_spec:
        for letter, what in ((row_spec.label, "rows.label"), (row_spec.unit, "rows.unit")):
            if letter in taken:
                r.fail(f"column {letter} is both {what} and a data column")
            taken.add(letter or "")
    for letter in ignore:
        if letter in taken:
            r.fail(f"ignore_columns: {letter} is also read")
    return ignore


def _checks(r: _Reader, data: dict) -> dict[str, str]:
    checks = {}
    for ref, expected in r.mapping(data.get("checks"), "checks").items():
        try:
            split_cell(str(ref))
            checks[str(ref)] = _text(expected)
        except ValueError:
            r.fail(f"checks: {ref!r} is not a cell reference (A1, D5)")
    return checks


def _symbols(r: _Reader, data: dict) -> dict[str, str]:
    symbols = dict(DEFAULT_SYMBOLS)
    for symbol, meaning in r.mapping(data.get("symbols"), "symbols").items():
        if _text(meaning) not in SYMBOL_MEANINGS:
            r.fail(f"symbols.{symbol}: say missing (a figure not available, kept as published) or skip (no row)")
        symbols[_text(symbol).strip()] = _text(meaning)
    return symbols


def _footnotes(r: _Reader, data: dict) -> dict[str, dict[str, str]]:
    footnotes = {}
    for mark, spec in r.mapping(data.get("footnotes"), "footnotes").items():
        if _text(mark) not in CIRCLED:
            r.fail(f"footnotes: {mark!r} is not a footnote mark (①, ②, …)")
        footnotes[_text(mark)] = r.figure_keys(
            spec, f"footnotes.{mark}", ("obs_status", "qualifier", "source_id", "note", "conf_status")
        )
    return footnotes


def _labels(r: _Reader, data: dict) -> dict[str, str]:
    labels: dict[str, str] = {}
    written: dict[str, str] = {}  # normalised label → the key as written
    for key, code in r.mapping(data.get("labels"), "labels").items():
        label = normalise_label(_text(key))
        if label in labels:
            r.fail(f"labels: {written[label]!r} and {_text(key)!r} are the same label once spaces, 其中 and marks are read")
        labels[label], written[label] = _text(code).strip(), _text(key)
    return labels


def _every_figure_keyed(r: _Reader, fixed: dict[str, str], row_spec: RowSpec, columns: list) -> None:
    """Every figure must get each required key from somewhere: fixed, its column, or its row."""
    for column in columns:
        given = set(fixed) | set(column.sets) | {f"{row_spec.means}_code" if row_spec.means != "period" else "period"}
        if isinstance(column, ColumnRange):
            given.add("period")
        if row_spec.unit:
            given.add("unit")
        missing = [k for k in REQUIRED_KEYS if k not in given]
        if missing:
            where = column.letter if isinstance(column, ColumnSpec) else f"{column.first}:{column.last or ''}"
            r.fail(f"columns.{where}: its figures get no {', '.join(missing)} (set it under fixed, the column or rows)")


def _easyquery_parts(r: _Reader, data: dict, fixed: dict[str, str]) -> dict:
    indicators = {}
    for code, spec in r.mapping(data.get("indicators"), "indicators").items():
        spec = r.mapping(spec, f"indicators.{code}")
        sets = r.figure_keys({k: v for k, v in spec.items() if k not in ("name", "cumulative")}, f"indicators.{code}")
        if "indicator_code" not in sets:
            r.fail(f"indicators.{code}: indicator_code (the catalogue's code for it) is required")
        if "unit" not in sets and "unit" not in fixed:
            r.fail(f"indicators.{code}: unit is required (the unit its figures are in: checked against the response)")
        if spec.get("name") is not None:
            sets["name"] = _text(spec["name"])
        if "cumulative" in spec:  # this code's figures run from January (or not), whatever the layout's cumulative says
            if not isinstance(spec["cumulative"], bool):
                r.fail(f"indicators.{code}.cumulative must be true or false")
            sets["cumulative"] = "true" if spec["cumulative"] is True else "false"
        indicators[_text(code)] = sets
    if not indicators:
        r.fail("indicators: the data-query codes (zb) to load and the catalogue code of each are required")
    regions = {_text(k): _text(v) for k, v in r.mapping(data.get("regions"), "regions").items()}
    if "source_id" not in fixed:
        r.fail("fixed.source_id is required")
    cumulative = data.get("cumulative", False)
    if not isinstance(cumulative, bool):
        r.fail("cumulative must be true or false")
    return {"indicators": indicators, "regions": regions, "cumulative": bool(cumulative), "partial": _partial(r, data)}


@dataclass(frozen=True)
class LayoutSet:
    """The layouts in force: the files' glob matches, and the layout files refused this time (with reasons)."""

    layouts: tuple[Layout, ...] = ()
    refused: dict[str, list[str]] = field(default_factory=dict)  # layout path → reasons (the previous one is used)
    kept: frozenset[str] = frozenset()  # refused layouts whose last accepted version is still in force

    def note(self, path: str) -> str:
        if path in self.kept:
            return "layout refused: its last accepted version still reads its files"
        return "layout refused and never accepted before: its files cannot be read until it is fixed"

    def for_file(self, rel: str) -> Layout | list[Layout] | None:
        """The layout reading `rel`; a list when several match (the file is refused: which one is meant?)."""
        found = [layout for layout in self.layouts if layout.matches(rel)]
        if len(found) > 1:
            return found
        return found[0] if found else None


def layout_files(raw_root: Path) -> list[Path]:
    folder = raw_root / LAYOUT_FOLDER
    return sorted(p for p in folder.glob("*") if not p.name.startswith(".")) if folder.is_dir() else []
