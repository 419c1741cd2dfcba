"""Great Expectations 1.x suites for the raw file families, and their results turned into issues.

GX runs on the parsed batch as a pandas DataFrame in an ephemeral context (GX has no DuckDB
dialect; see DESIGN.md). Rules that need the catalogue (codes exist, unit and value type match,
value inside the plausible range) compare the batch with catalogue attributes joined on as
helper columns named `_cat_*`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from orchestration.families import Family
from orchestration.reading import ROW_COLUMN, Issue

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no telemetry: there is no network


@dataclass(frozen=True)
class Catalogue:
    """The current catalogue in the warehouse, against which facts are validated."""

    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)  # indicator_code, unit, value_type, range_min, range_max
    region_codes: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()


@dataclass
class ValidationOutcome:
    issues: list[Issue]
    results: list[dict[str, Any]]  # one per expectation, for dq.expectation_results

    @property
    def success(self) -> bool:
        return not self.issues


@lru_cache(maxsize=1)
def _gx():
    """Import GX (about 2-3 s) and build the ephemeral context once per process, only when needed."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = context.data_sources.add_pandas("raw_batches")
    return gx, datasource


@lru_cache(maxsize=None)
def _batch_definition(family_name: str):
    _, datasource = _gx()
    return datasource.add_dataframe_asset(family_name).add_batch_definition_whole_dataframe("whole_file")


def build_suite(family: Family, catalogue: Catalogue, frame: pd.DataFrame):
    """The expectation suite for one family. Mutates `frame` by adding the `_cat_*` helper columns."""
    gx, _ = _gx()
    E = gx.expectations
    suite = gx.ExpectationSuite(name=f"raw_{family.name}")
    add = suite.add_expectation

    for col in family.columns:
        if col.required and col.kind in ("text", "period"):
            add(E.ExpectColumnValuesToNotBeNull(column=col.name))
        if col.allowed:
            add(E.ExpectColumnValuesToBeInSet(column=col.name, value_set=list(col.allowed)))
        if col.pattern:
            add(E.ExpectColumnValuesToMatchRegex(column=col.name, regex=col.pattern))
    if len(family.key) == 1:
        add(E.ExpectColumnValuesToBeUnique(column=family.key[0]))
    else:
        add(E.ExpectCompoundColumnsToBeUnique(column_list=list(family.key)))

    if family.name == "regions":
        add(E.ExpectColumnValuesToBeInSet(column="parent_code", value_set=frame["region_code"].dropna().tolist()))
    if family.name == "indicators":
        add(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="range_max", column_B="range_min", or_equal=False))
    if family.name in ("observations", "targets"):
        add(E.ExpectColumnValuesToBeInSet(column="indicator_code", value_set=list(catalogue.indicators.get("indicator_code", []))))
        add(E.ExpectColumnValuesToBeInSet(column="region_code", value_set=list(catalogue.region_codes)))
        add(E.ExpectColumnValuesToBeInSet(column="source_id", value_set=list(catalogue.source_ids)))
        attrs = catalogue.indicators.set_index("indicator_code") if len(catalogue.indicators) else None
        for attr in ("unit", "value_type", "range_min", "range_max"):
            frame[f"_cat_{attr}"] = frame["indicator_code"].map(attrs[attr]) if attrs is not None else None
        both = "either_value_is_missing"  # an unknown code is reported once, by the in-set rule
        add(E.ExpectColumnPairValuesToBeEqual(column_A="unit", column_B="_cat_unit", ignore_row_if=both))
        value = "value" if family.name == "observations" else "target_value"
        add(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=value, column_B="_cat_range_min", or_equal=True, ignore_row_if=both))
        add(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="_cat_range_max", column_B=value, or_equal=True, ignore_row_if=both))
    if family.name == "observations":
        add(E.ExpectColumnPairValuesToBeEqual(column_A="value_type", column_B="_cat_value_type", ignore_row_if="either_value_is_missing"))
    if family.name == "targets":
        add(E.ExpectColumnValuesToBeBetween(column="target_year", min_value=2000, max_value=2100))
    return suite


_RULE_TEXT = {
    "expect_column_values_to_not_be_null": "a value is required",
    "expect_column_values_to_be_in_set": "value not allowed here (not in the catalogue or vocabulary)",
    "expect_column_values_to_match_regex": "value does not have the required form",
    "expect_column_values_to_be_unique": "duplicate key within the file",
    "expect_compound_columns_to_be_unique": "duplicate key within the file",
    "expect_column_values_to_be_between": "value outside the allowed range",
}


def _describe(rule: str, kwargs: dict[str, Any], entry: dict[str, Any]) -> tuple[str | None, object, str]:
    """(column, offending value, message) for one unexpected row."""
    if "column_A" in kwargs:
        a, b = kwargs["column_A"], kwargs["column_B"]
        column, other = (b, a) if a.startswith("_cat_") else (a, b)
        expected, found = entry.get(other), entry.get(column)
        if rule == "expect_column_pair_values_to_be_equal":
            return column, found, f"catalogue declares {column} {expected!r} for this indicator"
        bound = "at least" if column == a else "at most"
        return column, found, f"outside the indicator's plausible range: must be {bound} {expected}"
    if "column_list" in kwargs:
        cols = kwargs["column_list"]
        return ",".join(cols), "|".join(str(entry.get(c)) for c in cols), _RULE_TEXT[rule]
    column = kwargs.get("column")
    message = _RULE_TEXT.get(rule, rule)
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


def validate(family: Family, catalogue: Catalogue, frame: pd.DataFrame, file: str) -> ValidationOutcome:
    frame = frame.copy()
    suite = build_suite(family, catalogue, frame)
    batch = _batch_definition(family.name).get_batch(batch_parameters={"dataframe": frame})
    report = batch.validate(
        suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_COLUMN]}
    )
    issues: list[Issue] = []
    results: list[dict[str, Any]] = []
    for result in report.results:
        rule = result.expectation_config.type
        kwargs = {k: v for k, v in result.expectation_config.kwargs.items() if k not in ("batch_id",)}
        details = result.result or {}
        stored_kwargs = {k: (f"<{len(v)} values>" if k == "value_set" else _plain(v)) for k, v in kwargs.items()}
        results.append(
            {
                "expectation_type": rule,
                "column_name": kwargs.get("column") or kwargs.get("column_A") or ",".join(kwargs.get("column_list", [])),
                "kwargs": json.dumps(stored_kwargs, ensure_ascii=False),
                "success": bool(result.success),
                "element_count": details.get("element_count"),
                "unexpected_count": details.get("unexpected_count"),
                "unexpected_percent": details.get("unexpected_percent"),
                "observed_value": None if details.get("observed_value") is None else str(details.get("observed_value")),
            }
        )
        if result.success:
            continue
        if result.exception_info and result.exception_info.get("raised_exception"):
            message = str(result.exception_info.get("exception_message"))
            issues.append(Issue(file, None, kwargs.get("column"), rule, None, f"rule could not run: {message}"))
            continue
        for entry in details.get("unexpected_index_list") or [{}]:
            column, value, message = _describe(rule, kwargs, entry)
            row = entry.get(ROW_COLUMN)
            issues.append(Issue(file, None if row is None else int(row), column, rule, None if value is None else str(_plain(value)), message))
    return ValidationOutcome(issues, results)
