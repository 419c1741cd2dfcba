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
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.domain.catalogue import Catalogue
from orchestration.domain.families import Family
from orchestration.domain.issues import ROW_COLUMN, Issue
from orchestration.domain.rule_texts import rule_message
from orchestration.validate.data_docs_offline import make_offline
from orchestration.validate.distinct_rows import DISTINCT_ROW, DistinctBatch, columns_read, reduce_batch
from orchestration.validate.suite import FILE_COLUMN, KEY_REPEATED, LEVEL_RANGE, build_suite, gx_module, shown_as


@dataclass
class ValidationOutcome:
    issues: list[Issue]
    results: list[dict[str, Any]]  # one per expectation, for dq.expectation_results


@lru_cache(maxsize=1)
def _gx():
    """The ephemeral context, built once per process, only when needed."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    gx = gx_module()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = context.data_sources.add_pandas("raw_batches")
    return gx, datasource, context


@cache
def _batch_definition(family_name: str):
    _, datasource, _ = _gx()
    return datasource.add_dataframe_asset(family_name).add_batch_definition_whole_dataframe("whole_file")


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
    if helper := shown_as(column):  # the cell the steward wrote, not the helper column
        shown, message = helper
        return shown, entry.get(shown), message or rule_message(rule)
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
    cells = {*read, *family.key, ROW_COLUMN, FILE_COLUMN, *(helper[0] for c in read if (helper := shown_as(c)))}
    rows = combined.loc[distinct.rows_failing(read, refused), [c for c in combined.columns if c in cells]]
    by_file: dict[str, list[dict[str, Any]]] = {}
    for entry in rows.to_dict("records"):
        by_file.setdefault(entry[FILE_COLUMN], []).append(entry)
    return by_file
