"""Each family's Great Expectations suite: the rules its columns and key imply, then the rules it names
(`Family.rules` in domain/families.py), each a function here that adds its expectations and the helper columns they
read. One loop builds every suite (`build_suite`); adding a rule to a family is a name in its declaration and a
function in RULES.

Rules that need the catalogue (codes exist, unit and value type match, value inside the plausible range) compare the
batch with catalogue attributes joined on as helper columns named `_cat_*`; a refusal on a helper column is reported
under the column a steward can fix (`SHOWN_AS`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from orchestration.domain.breakdowns import parse_breakdown
from orchestration.domain.catalogue import Catalogue
from orchestration.domain.families import BREAKDOWN_DIMENSIONS, DEFAULT_EARLIEST_YEAR, PUBLICATION_TIMEZONE, TOTAL, Family
from orchestration.domain.ranges import parse_range_by_level
from orchestration.domain.spreadsheet_cells import FORMULA_LIKE

FILE_COLUMN = "_file"  # which file a row of a combined batch came from
# True on a row whose key another row of the same file has too. The uniqueness rule runs on this helper, not as GX's
# compound-unique rule over the key columns: those are distinct on nearly every row, and GX sees distinct values only.
KEY_REPEATED = "_key_repeated"
BOTH = "either_value_is_missing"  # an unknown code is reported once, by the in-set rule, not again by a pair rule
NOT_FORECAST = {"row_condition": 'obs_status != "forecast"', "condition_parser": "pandas"}


@lru_cache(maxsize=1)
def gx_module():
    """Import GX (about 2-3 s) once per process, only when a suite is built; its analytics are off before it reads its
    configuration (no network at run time; dbt's are off in dbt_project.yml)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


@dataclass
class RuleInput:
    """What a rule reads: the family, the catalogue, the batch (which it may give helper columns)."""

    family: Family
    catalogue: Catalogue
    frame: pd.DataFrame

    @cached_property
    def attrs(self) -> pd.DataFrame | None:
        """The indicator catalogue by code; None when it is empty."""
        indicators = self.catalogue.indicators
        return indicators.set_index("indicator_code") if len(indicators) else None

    def catalogue_column(self, attr: str) -> str:
        """The helper column `_cat_<attr>`: the catalogue's attribute for each row's indicator (computed once)."""
        name = f"_cat_{attr}"
        if name not in self.frame:
            attrs = self.attrs
            self.frame[name] = _lookup(self.frame["indicator_code"], attrs[attr]) if attrs is not None else None
        return name

    @property
    def value_column(self) -> str:
        return "value" if self.family.name == "observations" else "target_value"


def column_rules(family: Family, frame: pd.DataFrame, E) -> list:
    """What every family's columns and key imply: required, no formula, closed vocabularies, patterns, a unique key."""
    out = []
    for col in family.columns:
        if col.required and col.kind in ("text", "period"):
            out.append(E.ExpectColumnValuesToNotBeNull(column=col.name))
        if col.kind == "text":
            # Spreadsheet formulas ("=HYPERLINK(...)", "@SUM", "+cmd") would run when a steward opens an export.
            out.append(E.ExpectColumnValuesToNotMatchRegex(column=col.name, regex=FORMULA_LIKE))
        if col.allowed:
            out.append(E.ExpectColumnValuesToBeInSet(column=col.name, value_set=list(col.allowed)))
        if col.pattern:
            out.append(E.ExpectColumnValuesToMatchRegex(column=col.name, regex=col.pattern))
    frame[KEY_REPEATED] = frame.duplicated([*family.key, FILE_COLUMN], keep=False)
    out.append(E.ExpectColumnValuesToBeInSet(column=KEY_REPEATED, value_set=[False]))
    return out


def codes_of_the_file(r: RuleInput, E) -> list:
    """A region's parent and successor are regions of the same catalogue."""
    codes = r.frame["region_code"].dropna()
    return [_known(r.frame, column, codes, E) for column in ("parent_code", "successor_code")]


def succession_complete(r: RuleInput, E) -> list:
    """A succession names both the successor and the date it takes effect."""
    r.frame["_succession_incomplete"] = r.frame["successor_code"].isna() != r.frame["retired_on"].isna()
    return [E.ExpectColumnValuesToBeInSet(column="_succession_incomplete", value_set=[False])]


def range_ordered(r: RuleInput, E) -> list:
    return [E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="range_max", column_B="range_min", or_equal=False)]


def codes_in_catalogue(r: RuleInput, E) -> list:
    catalogue = r.catalogue
    return [
        _known(r.frame, "indicator_code", catalogue.indicators.get("indicator_code", []), E),
        _known(r.frame, "region_code", catalogue.region_codes, E),
        _known(r.frame, "source_id", catalogue.source_ids, E),
        *(
            _known(r.frame, dim, [TOTAL, *catalogue.breakdown_codes.get(dim, ())], E)
            for dim in BREAKDOWN_DIMENSIONS
            if r.family.has_breakdown
        ),
    ]


UNKNOWN = "_unknown_"  # helper columns _unknown_<column>: the row's code is not in its catalogue


def _known(frame: pd.DataFrame, column: str, codes, E):
    """Catalogue membership as a joined attribute: True on a row whose code the catalogue lacks, decided once per
    distinct code. Not GX's in-set rule over the codes themselves: its value set (2,700 regions in a national
    catalogue) was copied with the expectation's configuration thousands of times a run. A refusal is reported under
    the code's own column (`_describe_cell`), with the in-set rule's name and message."""
    values, distinct = pd.factorize(frame[column])  # -1: an empty cell, which the required rule reports
    unknown = np.append(~pd.Index(distinct, dtype=object).isin(list(codes)), False)
    frame[UNKNOWN + column] = unknown[values]
    return E.ExpectColumnValuesToBeInSet(column=UNKNOWN + column, value_set=[False])


def part_as_catalogue(r: RuleInput, E) -> list:
    """A split indicator's figure (INCOME_URBAN, a part of INCOME_ALL with urbanisation U) gives no other part in the
    dimensions its code fixes: 城镇 in a header over INCOME_RURAL would otherwise be served as one or the other."""
    declared = r.frame[r.catalogue_column("breakdown")] if r.attrs is not None and "breakdown" in r.attrs else None
    clash = pd.Series(False, index=r.frame.index)
    if declared is not None:
        for text in declared.dropna().unique():
            rows = (declared == text).to_numpy()
            for dim, code in parse_breakdown(str(text)).items():
                given = r.frame.loc[rows, dim]
                clash.loc[rows] |= (given.notna() & (given != TOTAL) & (given != code)).to_numpy()
    r.frame["_part_contradicts_indicator"] = clash
    return [E.ExpectColumnValuesToBeInSet(column="_part_contradicts_indicator", value_set=[False])]


def released_after_publication(r: RuleInput, E) -> list:
    """A release time is not before the day the source is dated (that day read in Beijing time)."""
    frame = r.frame
    released = pd.to_datetime(frame["release_at"]).dt.tz_localize("UTC").dt.tz_convert(PUBLICATION_TIMEZONE)
    frame["_release_before_publication"] = (
        released.dt.tz_localize(None).dt.normalize() < pd.to_datetime(frame["published_on"])
    ).fillna(False)
    return [E.ExpectColumnValuesToBeInSet(column="_release_before_publication", value_set=[False])]


def within_catalogue_range(r: RuleInput, E) -> list:
    """The value lies in the indicator's plausible range, or its region level's where the catalogue gives one."""
    ranges = [(r.catalogue_column("range_min"), r.catalogue_column("range_max"))]
    if r.attrs is not None and _ranges_by_level(r.frame, r.attrs, r.catalogue.region_levels):
        ranges.append((f"{LEVEL_RANGE}_min", f"{LEVEL_RANGE}_max"))
    value, out = r.value_column, []
    for low, high in ranges:
        out.append(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=value, column_B=low, or_equal=True, ignore_row_if=BOTH))
        out.append(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=high, column_B=value, or_equal=True, ignore_row_if=BOTH))
    return out


def unit_as_catalogue(r: RuleInput, E) -> list:
    """In the catalogue's unit (observations are converted by the parser, or refused as unit_conversion)."""
    return [E.ExpectColumnPairValuesToBeEqual(column_A="unit", column_B=r.catalogue_column("unit"), ignore_row_if=BOTH)]


def value_type_as_catalogue(r: RuleInput, E) -> list:
    column = r.catalogue_column("value_type")
    return [E.ExpectColumnPairValuesToBeEqual(column_A="value_type", column_B=column, ignore_row_if=BOTH)]


def period_possible(r: RuleInput, E) -> list:
    """Only a forecast may describe a period that has not begun, or one after its own publication; a year decades
    before the series can exist is a typo (1921 for 2021), refused rather than taken as a base year."""
    frame = r.frame
    # float64, not dt.year's int32: GX compares only int64 and float64 columns in bulk, others value by value
    frame["_period_start_year"] = pd.to_datetime(frame["period_start"]).dt.year.astype("float64")
    frame["_published_year"] = _lookup(frame["source_id"], _published_by(r.catalogue.sources)).astype("float64")
    frame["_published_gap"] = frame["_period_start_year"] - frame["_published_year"]
    earliest = r.attrs["earliest_year"] if r.attrs is not None and "earliest_year" in r.attrs else None
    frame["_earliest_gap"] = frame["_period_start_year"] - (
        _lookup(frame["indicator_code"], earliest).fillna(DEFAULT_EARLIEST_YEAR).astype("float64")
        if earliest is not None
        else DEFAULT_EARLIEST_YEAR
    )
    return [
        E.ExpectColumnValuesToBeBetween(column="_period_start_year", max_value=date.today().year, **NOT_FORECAST),
        E.ExpectColumnValuesToBeBetween(column="_published_gap", max_value=0, **NOT_FORECAST),
        E.ExpectColumnValuesToBeBetween(column="_earliest_gap", min_value=0),
    ]


def target_years(r: RuleInput, E) -> list:
    r.frame["_base_gap"] = pd.to_numeric(r.frame["target_year"]) - pd.to_numeric(r.frame["base_year"])
    return [
        E.ExpectColumnValuesToBeBetween(column="target_year", min_value=2000, max_value=2100),
        E.ExpectColumnValuesToBeBetween(column="base_year", min_value=DEFAULT_EARLIEST_YEAR, max_value=2100),
        E.ExpectColumnValuesToBeBetween(column="_base_gap", min_value=1),
    ]


def target_provenance(r: RuleInput, E) -> list:
    """Verified means value, comparator and year were all read in the source; subregions say how a target reads."""
    frame = r.frame
    frame["_inferred_but_verified"] = (frame["comparator_provenance"] == "inferred") & frame["verified"].eq(True)
    frame["_subregions_without_basis"] = frame["applies_to_subregions"].eq(True) & frame["subregion_basis"].isna()
    return [
        E.ExpectColumnValuesToBeInSet(column=c, value_set=[False])
        for c in ("_inferred_but_verified", "_subregions_without_basis")
    ]


RULES: dict[str, Callable[[RuleInput, object], list]] = {
    rule.__name__: rule
    for rule in (
        codes_of_the_file,
        succession_complete,
        range_ordered,
        codes_in_catalogue,
        within_catalogue_range,
        unit_as_catalogue,
        value_type_as_catalogue,
        period_possible,
        target_years,
        target_provenance,
        released_after_publication,
        part_as_catalogue,
    )
}


def build_suite(family: Family, catalogue: Catalogue, frame: pd.DataFrame):
    """The expectation suite for one family. Mutates `frame` by adding the rules' helper columns."""
    gx = gx_module()
    # Expectations are collected first and handed to the suite at once: `suite.add_expectation` also writes
    # each one into the context's stored suite of the same name once Data Docs saved one, and that stored
    # suite then grew with every validation of the process (quadratic serialisation).
    expectations = column_rules(family, frame, gx.expectations)
    given = RuleInput(family, catalogue, frame)
    for name in family.rules:
        expectations += RULES[name](given, gx.expectations)
    return gx.ExpectationSuite(name=f"raw_{family.name}", expectations=expectations)


# Helper columns reported under the column a steward can fix.
SHOWN_AS = {
    "_period_start_year": ("period", "the period lies in the future; only a forecast (obs_status forecast) may"),
    "_published_gap": ("period", "the period begins after its source was published; only a forecast (obs_status forecast) may"),
    "_earliest_gap": (
        "period",
        "the year is before the earliest year the indicator can have figures for (a typo such as 1921 for 2021?)",
    ),
    "_base_gap": ("base_year", "the plan's base year must come before its target year"),
    "_part_contradicts_indicator": (
        "indicator_code",
        "the indicator is a part of another (breakdown_of in the catalogue) and the row gives it another part: leave "
        "sex, age and urbanisation blank for it, or give the part its code stands for",
    ),
    "_release_before_publication": (
        "release_at",
        "the release time is before the day the source is dated (published_on): a figure is not released before its publication",
    ),
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


def shown_as(helper: str) -> tuple[str, str | None] | None:
    """(the column a steward can fix, the message; None: the rule's own) for a helper column; None for any other."""
    if helper.startswith(UNKNOWN):
        return helper.removeprefix(UNKNOWN), None
    return SHOWN_AS.get(helper)


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
