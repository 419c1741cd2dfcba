"""Great Expectations 1.x suites for the raw file families, and their results turned into issues.

GX runs on the parsed batch as a pandas DataFrame in an ephemeral context (GX has no DuckDB
dialect: its SQL datasource over duckdb-engine returns no rows). Rules that need the catalogue (codes exist, unit and value type match,
value inside the plausible range) compare the batch with catalogue attributes joined on as
helper columns named `_cat_*`. GX sees the batch reduced to the distinct values each rule reads
(distinct_rows.py): a national batch repeats its codes, units, periods and statuses row after row, and GX's
cost grows with the rows it is given. Its failures are mapped back to every row holding the refused values.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from orchestration.domain.catalogue import Catalogue
from orchestration.domain.families import DEFAULT_EARLIEST_YEAR, Family
from orchestration.domain.issues import ROW_COLUMN, Issue
from orchestration.domain.ranges import parse_range_by_level
from orchestration.domain.rule_texts import rule_message
from orchestration.domain.spreadsheet_cells import FORMULA_LIKE
from orchestration.validate.data_docs_offline import make_offline
from orchestration.validate.distinct_rows import DISTINCT_ROW, DistinctBatch, columns_read, reduce_batch

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no telemetry: there is no network

FILE_COLUMN = "_file"  # which file a row of a combined batch came from
# True on a row whose key another row of the same file has too. The uniqueness rule runs on this helper, not as GX's
# compound-unique rule over the key columns: those are distinct on nearly every row, and GX sees distinct values only.
KEY_REPEATED = "_key_repeated"


@dataclass
class ValidationOutcome:
    issues: list[Issue]
    results: list[dict[str, Any]]  # one per expectation, for dq.expectation_results


@lru_cache(maxsize=1)
def _gx():
    """Import GX (about 2-3 s) and build the ephemeral context once per process, only when needed."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = context.data_sources.add_pandas("raw_batches")
    return gx, datasource, context


@cache
def _batch_definition(family_name: str):
    _, datasource, _ = _gx()
    return datasource.add_dataframe_asset(family_name).add_batch_definition_whole_dataframe("whole_file")


def build_suite(family: Family, catalogue: Catalogue, frame: pd.DataFrame):
    """The expectation suite for one family. Mutates `frame` by adding the `_cat_*` helper columns."""
    gx = _gx()[0]
    E = gx.expectations
    # Expectations are collected first and handed to the suite at once: `suite.add_expectation` also writes
    # each one into the context's stored suite of the same name once Data Docs saved one, and that stored
    # suite then grew with every validation of the process (quadratic serialisation).
    expectations: list = []
    add = expectations.append

    for col in family.columns:
        if col.required and col.kind in ("text", "period"):
            add(E.ExpectColumnValuesToNotBeNull(column=col.name))
        if col.kind == "text":
            # Spreadsheet formulas ("=HYPERLINK(...)", "@SUM", "+cmd") would run when a steward opens an export.
            add(E.ExpectColumnValuesToNotMatchRegex(column=col.name, regex=FORMULA_LIKE))
        if col.allowed:
            add(E.ExpectColumnValuesToBeInSet(column=col.name, value_set=list(col.allowed)))
        if col.pattern:
            add(E.ExpectColumnValuesToMatchRegex(column=col.name, regex=col.pattern))
    frame[KEY_REPEATED] = frame.duplicated([*family.key, FILE_COLUMN], keep=False)
    add(E.ExpectColumnValuesToBeInSet(column=KEY_REPEATED, value_set=[False]))

    if family.name == "regions":
        codes = frame["region_code"].dropna().tolist()
        add(E.ExpectColumnValuesToBeInSet(column="parent_code", value_set=codes))
        add(E.ExpectColumnValuesToBeInSet(column="successor_code", value_set=codes))
        # a succession names both the successor and the date it takes effect
        frame["_succession_incomplete"] = frame["successor_code"].isna() != frame["retired_on"].isna()
        add(E.ExpectColumnValuesToBeInSet(column="_succession_incomplete", value_set=[False]))
    if family.name == "indicators":
        add(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="range_max", column_B="range_min", or_equal=False))
    if family.name in ("observations", "targets"):
        add(
            E.ExpectColumnValuesToBeInSet(column="indicator_code", value_set=list(catalogue.indicators.get("indicator_code", [])))
        )
        add(E.ExpectColumnValuesToBeInSet(column="region_code", value_set=list(catalogue.region_codes)))
        add(E.ExpectColumnValuesToBeInSet(column="source_id", value_set=list(catalogue.source_ids)))
        attrs = catalogue.indicators.set_index("indicator_code") if len(catalogue.indicators) else None
        for attr in ("unit", "value_type", "range_min", "range_max"):
            frame[f"_cat_{attr}"] = _lookup(frame["indicator_code"], attrs[attr]) if attrs is not None else None
        ranges = [("_cat_range_min", "_cat_range_max")]
        if attrs is not None and _ranges_by_level(frame, attrs, catalogue.region_levels):
            ranges.append((f"{LEVEL_RANGE}_min", f"{LEVEL_RANGE}_max"))
        both = "either_value_is_missing"  # an unknown code is reported once, by the in-set rule
        if not family.converts_units:  # observations: the parser converts units or reports unit_conversion
            add(E.ExpectColumnPairValuesToBeEqual(column_A="unit", column_B="_cat_unit", ignore_row_if=both))
        value = "value" if family.name == "observations" else "target_value"
        for low, high in ranges:
            add(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=value, column_B=low, or_equal=True, ignore_row_if=both))
            add(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=high, column_B=value, or_equal=True, ignore_row_if=both))
    if family.name == "observations":
        add(
            E.ExpectColumnPairValuesToBeEqual(
                column_A="value_type", column_B="_cat_value_type", ignore_row_if="either_value_is_missing"
            )
        )
        # Only a forecast may describe a period that has not begun, or one after its own publication.
        # float64, not dt.year's int32: GX compares only int64 and float64 columns in bulk, others value by value
        frame["_period_start_year"] = pd.to_datetime(frame["period_start"]).dt.year.astype("float64")
        add(
            E.ExpectColumnValuesToBeBetween(
                column="_period_start_year",
                max_value=date.today().year,
                row_condition='obs_status != "forecast"',
                condition_parser="pandas",
            )
        )
        frame["_published_year"] = _lookup(frame["source_id"], _published_by(catalogue.sources)).astype("float64")
        frame["_published_gap"] = frame["_period_start_year"] - frame["_published_year"]
        add(
            E.ExpectColumnValuesToBeBetween(
                column="_published_gap",
                max_value=0,
                row_condition='obs_status != "forecast"',
                condition_parser="pandas",
            )
        )
        # A year decades before the series can exist is a typo (1921 for 2021): refused, not a base year.
        earliest = attrs["earliest_year"] if attrs is not None and "earliest_year" in attrs else None
        frame["_earliest_gap"] = frame["_period_start_year"] - (
            _lookup(frame["indicator_code"], earliest).fillna(DEFAULT_EARLIEST_YEAR).astype("float64")
            if earliest is not None
            else DEFAULT_EARLIEST_YEAR
        )
        add(E.ExpectColumnValuesToBeBetween(column="_earliest_gap", min_value=0))
    if family.name == "targets":
        add(E.ExpectColumnValuesToBeBetween(column="target_year", min_value=2000, max_value=2100))
        add(E.ExpectColumnValuesToBeBetween(column="base_year", min_value=DEFAULT_EARLIEST_YEAR, max_value=2100))
        frame["_base_gap"] = pd.to_numeric(frame["target_year"]) - pd.to_numeric(frame["base_year"])
        add(E.ExpectColumnValuesToBeBetween(column="_base_gap", min_value=1))
        # Verified means value, comparator and year were all read in the source.
        frame["_inferred_but_verified"] = (frame["comparator_provenance"] == "inferred") & frame["verified"].eq(True)
        frame["_subregions_without_basis"] = frame["applies_to_subregions"].eq(True) & frame["subregion_basis"].isna()
        for helper in ("_inferred_but_verified", "_subregions_without_basis"):
            add(E.ExpectColumnValuesToBeInSet(column=helper, value_set=[False]))
    return gx.ExpectationSuite(name=f"raw_{family.name}", expectations=expectations)


# Helper columns reported under the column a steward can fix.
_SHOWN_AS = {
    "_period_start_year": ("period", "the period lies in the future; only a forecast (obs_status forecast) may"),
    "_published_gap": ("period", "the period begins after its source was published; only a forecast (obs_status forecast) may"),
    "_earliest_gap": (
        "period",
        "the year is before the earliest year the indicator can have figures for (a typo such as 1921 for 2021?)",
    ),
    "_base_gap": ("base_year", "the plan's base year must come before its target year"),
    "_succession_incomplete": (
        "successor_code",
        "a retired region names both its successor_code and the date it was retired_on (行政区划调整), or neither",
    ),
    "_inferred_but_verified": (
        "verified",
        "a target whose comparator was inferred (comparator_provenance inferred) is not verified: "
        "verified means value, comparator and year were all read in the source",
    ),
    "_subregions_without_basis": (
        "subregion_basis",
        "a target that applies to subregions must say how: provincial_average or each_subregion",
    ),
}


LEVEL_RANGE = "_cat_level_range"  # helper columns _cat_level_range_min / _max: a row's range for its region's level


def _ranges_by_level(frame: pd.DataFrame, attrs: pd.DataFrame, levels: dict[str, str]) -> bool:
    """Where an indicator has ranges by region level (domain/ranges.py), a row's range is its region level's: it
    moves from `_cat_range_*` to `_cat_level_range_*` (checked by rules of their own, whose refusals say so).
    Looked up per distinct (indicator, region): a national batch repeats a few hundred of them. True when the
    catalogue has ranges by level: the suite then has their rules whatever the batch holds, so that a file's results
    do not depend on which files it was validated with."""
    if "range_by_level" not in attrs or not attrs["range_by_level"].notna().any():
        return False
    given = attrs["range_by_level"].dropna()
    ranges = {f"{code}|{level}": bounds for code, text in given.items() for level, bounds in parse_range_by_level(text).items()}
    low, high = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    rows = frame["indicator_code"].isin(set(given.index)).to_numpy()
    if rows.any():  # keyed per row by indicator and its region's level, looked up once per distinct key
        level = _lookup(frame.loc[rows, "region_code"], pd.Series(levels, dtype=object)).fillna("")
        keys = frame.loc[rows, "indicator_code"].astype(str) + "|" + level.astype(str)
        table = pd.DataFrame(ranges.values(), index=list(ranges), columns=["low", "high"])
        low[rows], high[rows] = _lookup(keys, table["low"]).to_numpy(), _lookup(keys, table["high"]).to_numpy()
    frame[f"{LEVEL_RANGE}_min"], frame[f"{LEVEL_RANGE}_max"] = low, high
    frame.loc[~np.isnan(low), ["_cat_range_min", "_cat_range_max"]] = np.nan  # the level's range replaces the indicator's
    return True


def _lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """table[key] for every key, missing where the table has none. Each distinct key is looked up once: a
    national batch has a few hundred codes in a million rows, and Series.map hashes every row's text."""
    codes, distinct = pd.factorize(keys)
    values = table[~table.index.duplicated()].reindex(distinct).to_numpy()
    missing = np.nan if values.dtype.kind == "f" else None
    return pd.Series(np.append(values, missing)[codes], index=keys.index)  # code -1 (a missing key) takes the last


def _published_by(sources: pd.DataFrame) -> pd.Series:
    """The year each source was published in, where it is known (a period may not begin after it)."""
    if sources.empty:
        return pd.Series(dtype="float64")
    known = sources[sources["published_on"].notna() & (sources["date_precision"] != "unknown")]
    return pd.Series(pd.to_datetime(known["published_on"]).dt.year.astype(float).to_numpy(), index=known["source_id"])


def _describe(family: Family, rule: str, kwargs: dict[str, Any], entry: dict[str, Any]) -> tuple[str | None, object, str, str]:
    """(column, offending value, message, rule) for one unexpected row: `entry` holds the row's cells."""
    column = kwargs.get("column")
    if column == KEY_REPEATED:
        return (
            ",".join(family.key),
            "|".join(str(entry.get(c)) for c in family.key),
            rule_message("duplicate_key"),
            "duplicate_key",
        )
    return (*_describe_cell(rule, kwargs, entry), rule)


def _describe_cell(rule: str, kwargs: dict[str, Any], entry: dict[str, Any]) -> tuple[str | None, object, str]:
    if "column_A" in kwargs:
        a, b = kwargs["column_A"], kwargs["column_B"]
        column, other = (b, a) if a.startswith("_cat_") else (a, b)
        expected, found = entry.get(other), entry.get(column)
        if rule == "expect_column_pair_values_to_be_equal":
            return column, found, f"catalogue declares {column} {expected!r} for this indicator"
        bound = "at least" if column == a else "at most"
        scope = " for its region's level (range_by_level)" if other.startswith(LEVEL_RANGE) else ""
        return column, found, f"outside the indicator's plausible range{scope}: must be {bound} {expected}"
    column = kwargs.get("column")
    if column in _SHOWN_AS:  # the cell the steward wrote, not the helper column
        shown, message = _SHOWN_AS[column]
        return shown, entry.get(shown), message
    message = rule_message(rule)
    if rule == "expect_column_values_to_match_regex":
        message += f" (regex {kwargs['regex']})"
    return column, entry.get(column), message


def _plain(value: Any) -> Any:
    """numpy / pandas scalars to JSON-friendly Python values."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


_CHECKPOINTS: dict[str, tuple[str, Any]] = {}  # family -> (Data Docs site and suite content, checkpoint)


def _validate_with_data_docs(family_name: str, suite, frame: pd.DataFrame, result_format: dict, docs_dir: Path):
    gx, _, context = _gx()
    site = "site_" + hashlib.sha256(str(docs_dir).encode()).hexdigest()[:12]  # one site per folder (tests use several)
    if site not in (context.get_site_names() or []):
        context.add_data_docs_site(
            site_name=site,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    # Registering the suite, its validation definition and the checkpoint costs ~0.5 s; the slices of one refresh
    # share the same suite and site, so they are registered again only when either changed. One entry per family:
    # the suite and definition are named after the family, so registering them for another site (or content)
    # makes the checkpoint registered before stale.
    content = site + hashlib.sha256(json.dumps(suite.to_json_dict(), sort_keys=True, default=str).encode()).hexdigest()
    registered = _CHECKPOINTS.get(family_name)
    if registered is None or registered[0] != content:
        suite = context.suites.add_or_update(suite)
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"raw_{family_name}", data=_batch_definition(family_name), suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"raw_{family_name}_{site}",
                validation_definitions=[definition],
                result_format=result_format,
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[site])],
            )
        )
        registered = _CHECKPOINTS[family_name] = (content, checkpoint)
    result = registered[1].run(batch_parameters={"dataframe": frame})
    ((identifier, report),) = result.run_results.items()
    # GX names the page folder after the validation's run time: how make_offline finds this run's page among the
    # pages of every validation the process made
    return report, identifier.run_id.run_time.strftime("%Y%m%dT%H%M%S.%fZ")


_MARKUP = re.compile(r"[<>&\"']")


def _escape_markup(frame: pd.DataFrame) -> pd.DataFrame:
    """HTML-escape every text cell GX sees: GX Data Docs print unexpected values unescaped, and a quarantined
    cell may hold <script>. Escaping is one-to-one, so every rule decides as on the raw text; issues show the
    raw cells of the batch."""
    for column in _text_columns(frame):
        series = frame[column]
        if series.dtype == object:  # mixed cells (dates, None, the odd text): each distinct one looked at once
            rows = series.isin([v for v in series.dropna().unique() if _MARKUP.search(str(v))]).to_numpy()
        else:  # Arrow-backed text: one vectorised search; only the cells holding a character to escape are rewritten
            rows = series.str.contains(_MARKUP.pattern, regex=True, na=False).to_numpy(dtype=bool)
        if rows.any():
            frame.loc[rows, column] = frame.loc[rows, column].map(html.escape)
    return frame


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]


def validate_files(
    family: Family, catalogue: Catalogue, frames: dict[str, pd.DataFrame], docs_dir: Path | None = None
) -> dict[str, ValidationOutcome]:
    """Validate several files of one family in a single GX run, and split the results per file.

    GX's cost is mostly per run (about 0.3-0.6 s for a suite of this size) and per distinct value, so one run per
    slice of files (loop.SLICE_ROWS) instead of one per file keeps a refresh of many small publications fast. Keys are unique
    within a file, hence the file column in the uniqueness rule. With `docs_dir`, the run goes through a
    GX Checkpoint that also renders the result into Great Expectations Data Docs in that folder: its pages count
    the distinct values validated, and the issues and dq.expectation_results count the rows.
    """
    outcomes = {file: ValidationOutcome([], []) for file in frames}
    if not frames:
        return outcomes
    combined = pd.concat([f.assign(**{FILE_COLUMN: name}) for name, f in frames.items()], ignore_index=True)
    rows_per_file = combined[FILE_COLUMN].value_counts().to_dict()
    suite = build_suite(family, catalogue, combined)
    distinct = reduce_batch(combined, [columns_read(e.configuration.kwargs, combined.columns) for e in suite.expectations])
    seen = _escape_markup(distinct.frame)
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": [DISTINCT_ROW]}
    if docs_dir is None:
        report = (
            _batch_definition(family.name)
            .get_batch(batch_parameters={"dataframe": seen})
            .validate(suite, result_format=result_format)
        )
    else:
        report, page_folder = _validate_with_data_docs(family.name, suite, seen, result_format, docs_dir)
    for result in report.results:
        rule = result.expectation_config.type
        kwargs = {k: v for k, v in result.expectation_config.kwargs.items() if k != "batch_id"}
        crashed = bool(result.exception_info and result.exception_info.get("raised_exception"))
        unexpected = _unexpected_rows(family, distinct, combined, kwargs, result.result or {})
        stored_kwargs = json.dumps(
            {k: (f"<{len(v)} values>" if k == "value_set" else _plain(v)) for k, v in kwargs.items()},
            ensure_ascii=False,
        )
        column_name = kwargs.get("column") or kwargs.get("column_A") or ",".join(kwargs.get("column_list", []))
        for file, outcome in outcomes.items():
            entries = unexpected.get(file, [])
            elements = rows_per_file.get(file, 0)
            outcome.results.append(
                {
                    "expectation_type": rule,
                    "column_name": column_name,
                    "kwargs": stored_kwargs,
                    "success": not crashed and not entries,
                    "element_count": elements,
                    "unexpected_count": len(entries),
                    "unexpected_percent": 100.0 * len(entries) / elements if elements else 0.0,
                    "observed_value": None,
                }
            )
            if crashed:
                message = str(result.exception_info.get("exception_message"))
                outcome.issues.append(Issue(file, None, kwargs.get("column"), rule, None, f"rule could not run: {message}"))
            for entry in entries:
                column, value, message, issue_rule = _describe(family, rule, kwargs, entry)
                row = entry.get(ROW_COLUMN)
                shown = None if pd.api.types.is_scalar(value) and pd.isna(value) else str(_plain(value))
                outcome.issues.append(Issue(file, None if row is None else int(row), column, issue_rule, shown, message))
    if docs_dir is not None:  # the page GX wrote, kept in the Data Docs history with the files it validated
        verdicts = {file: all(r["success"] for r in o.results) for file, o in outcomes.items()}
        make_offline(docs_dir, suite.name, verdicts, page_folder)
    return outcomes


def _unexpected_rows(
    family: Family, distinct: DistinctBatch, combined: pd.DataFrame, kwargs: dict[str, Any], details: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """The rows of the batch behind the distinct values a rule refused, by file: each a dict of the cells an issue
    shows (the rule's columns, the column a helper is shown as, the key, the line)."""
    refused = [entry[DISTINCT_ROW] for entry in details.get("unexpected_index_list") or []]
    if not refused:
        return {}
    read = columns_read(kwargs, combined.columns)
    cells = {*read, *family.key, ROW_COLUMN, FILE_COLUMN, *(_SHOWN_AS[c][0] for c in read if c in _SHOWN_AS)}
    rows = combined.loc[distinct.rows_failing(read, refused), [c for c in combined.columns if c in cells]]
    by_file: dict[str, list[dict[str, Any]]] = {}
    for entry in rows.to_dict("records"):
        by_file.setdefault(entry[FILE_COLUMN], []).append(entry)
    return by_file
