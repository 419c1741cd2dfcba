"""The raw file families: where their files live, which columns they have and what each column holds.

One declaration drives parsing, validation, the raw table's DDL and the dbt source; nothing here
imports Dagster or DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass

# Column kinds and the DuckDB type their parsed value is stored as.
SQL_TYPES = {
    "text": "VARCHAR",
    "number": "DOUBLE",
    "int": "INTEGER",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",  # an instant, stored in UTC (written with its offset: 2027-01-20T09:30+08:00)
}
FILE_TYPES = (".csv", ".xlsx", ".json", ".xls")  # .json and .xls: see reading.LAYOUT_ONLY_TYPES

VALUE_TYPES = ("level", "change", "avg_annual_growth", "rank", "grade", "cumulative", "count")
DIRECTIONS = ("higher_better", "lower_better", "neutral")
OBS_STATUSES = ("normal", "provisional", "estimated", "forecast", "break")
QUALIFIERS = ("exact", "approximate", "lower_bound", "upper_bound")
COMPARATORS = ("gt", "ge", "lt", "le", "about")
BINDINGS = ("binding", "anticipatory", "unknown")
REGION_LEVELS = ("country", "province", "prefecture", "urban_districts", "county")
TRUST_LEVELS = ("official", "secondary")
DATE_PRECISIONS = ("day", "month", "year", "approximate", "unknown")
TREND_METHODS = ("compound", "linear")  # compound: Open SDG / Eurostat CAGR; linear: absolute change per year
PRICE_BASES = ("nominal", "real")  # current prices, or constant / comparable prices
COMPARATOR_PROVENANCES = ("read", "inferred")  # the comparator was read in the source, or is our reading
SUBREGION_BASES = ("provincial_average", "each_subregion")  # how a province's target reads for a prefecture
# Breakdown dimensions (SDMX SEX, AGE, URBANISATION): a column each in the long file, the targets and the marts,
# their codes in the breakdown catalogue; TOTAL (SDMX's _T) is the figure over the whole dimension.
BREAKDOWN_DIMENSIONS = ("sex", "age", "urbanisation")
TOTAL = "_T"
BREAKDOWN_CODE = r"^(_T|[A-Z0-9][A-Z0-9_]*)$"
# How an indicator's parts make its total: `sum` (counts, money: the parts add up; a part is the total less the
# others), `average` (per-capita figures, rates: the total lies between its parts). Blank: parts are not compared.
AGGREGATIONS = ("sum", "average")
# SDMX CONF_STATUS: F free; C confidential (primary); D secondary confidentiality set by the office (a cell that would
# give a confidential one away); N not for publication, internal use. Only F is ever served.
CONF_STATUSES = ("F", "C", "D", "N")
FREE = "F"
# The bureaus' clock: a source's publication date is a day in Beijing, and release times are read against it.
PUBLICATION_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | number | quantity | int | bool | date | period
    required: bool = True
    allowed: tuple[str, ...] | None = None  # closed vocabulary, checked by GX
    pattern: str | None = None  # regex every value must match, checked by GX
    default: str | None = None  # what a blank cell of an optional text column means (a total, free to publish)


@dataclass(frozen=True)
class Family:
    name: str  # also the raw table's name: raw.<name>
    pattern: str  # glob under the raw folder; files of other types found there are refused
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # unique within one file
    description: str
    catalogue: bool = False  # catalogues are validated first; the others are checked against them
    converts_units: bool = False  # values are converted into the indicator's unit; the published unit is kept
    unique_across_files: bool = False  # the key identifies a row in the whole family, not only in its file
    # The family's rules beyond its columns' (null, set, pattern, formula) and its key's, by name: each is a set of
    # Great Expectations expectations in validate/suite.py, and its text for a steward in docs/quality-rules.md.
    rules: tuple[str, ...] = ()
    required_file: bool = True  # a catalogue every raw folder must have (False: added later, empty when absent)
    # Catalogues checked against this one's committed version (loaded before it): indicators name breakdown codes.
    checked_against: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def stored_columns(self) -> list[tuple[str, str]]:
        """(name, DuckDB type) of the parsed columns as stored in raw.<name>."""
        out: list[tuple[str, str]] = []
        for col in self.columns:
            if col.kind == "period":
                out += [
                    (col.name, "VARCHAR"),  # as written in the file
                    ("period_label", "VARCHAR"),
                    ("period_kind", "VARCHAR"),
                    ("period_start", "DATE"),
                    ("period_end", "DATE"),
                ]
            elif col.kind == "quantity":
                out += [(col.name, "DOUBLE"), (f"{col.name}_decimals", "INTEGER"), (f"{col.name}_text", "VARCHAR")]
            else:
                out.append((col.name, SQL_TYPES[col.kind]))
                if col.kind == "number":
                    out.append((f"{col.name}_decimals", "INTEGER"))
        if self.converts_units:
            out.append(("unit_published", "VARCHAR"))
        if self.has_breakdown:
            out.append(("breakdown", "VARCHAR"))  # the dimensions as one key (domain/breakdowns.py): _T or sex=F
        return out

    def stored_defaults(self) -> dict[str, str]:
        """What a stored column holds where its cell is blank: the total, free to publish."""
        defaults = {c.name: c.default for c in self.columns if c.default is not None}
        return defaults | ({"breakdown": TOTAL} if self.has_breakdown else {})

    @property
    def has_breakdown(self) -> bool:
        return set(BREAKDOWN_DIMENSIONS) <= set(self.column_names)


# The earliest year a figure may describe when the indicator catalogue names none: the founding of the
# PRC, before which no series of the bureaus' exists. A one-digit typo (1921 for 2021) falls before it.
DEFAULT_EARLIEST_YEAR = 1949
REGION_LEVEL_RANK = {"country": 0, "province": 1, "prefecture": 2, "urban_districts": 3, "county": 3}

CODE = r"^[A-Z][A-Z0-9_]*$"
REGION_CODE = r"^\d{6}$"
# An indicator's plausible range per region level (domain/ranges.py reads it): `county 1..6000; province 100..150000`.
LEVEL_RANGE = rf"({'|'.join(REGION_LEVELS)})\s+(-?[0-9]+(?:\.[0-9]+)?)\s*\.\.\s*(-?[0-9]+(?:\.[0-9]+)?)"
RANGE_BY_LEVEL = rf"^\s*{LEVEL_RANGE}\s*(?:;\s*{LEVEL_RANGE}\s*)*;?\s*$"

REGIONS = Family(
    name="regions",
    pattern="catalogue/regions.csv",
    columns=(
        Column("region_code", pattern=REGION_CODE),
        Column("name_zh"),
        Column("name_en"),
        Column("level", allowed=REGION_LEVELS),
        Column("aliases", required=False),  # other names tables use (衢州 for 衢州市), separated by |
        Column("parent_code", required=False, pattern=REGION_CODE),
        # A region succession (行政区划调整: a county merged into a new district): from `retired_on` the region's
        # place in the hierarchy and its targets pass to `successor_code`; its figures stay served under its own code.
        Column("successor_code", required=False, pattern=REGION_CODE),
        Column("retired_on", "date", required=False),
    ),
    key=("region_code",),
    description="Regions by GB/T 2260 code: China, Zhejiang, its 11 prefectures, Quzhou's county-level units.",
    catalogue=True,
    rules=("codes_of_the_file", "succession_complete"),
)

INDICATORS = Family(
    name="indicators",
    pattern="catalogue/indicators.csv",
    columns=(
        Column("indicator_code", pattern=CODE),
        Column("name_zh"),
        Column("name_en"),
        Column("theme"),
        Column("unit"),
        Column("value_type", allowed=VALUE_TYPES),
        Column("direction", allowed=DIRECTIONS),
        Column("range_min", "number"),
        Column("range_max", "number"),
        Column("description", required=False),
        # Figures for earlier years are refused as typos (1921 for 2021); blank means DEFAULT_EARLIEST_YEAR.
        Column("earliest_year", "int", required=False),
        # The headline trend method of progress against targets (blank = compound) and why it suits the indicator.
        Column("trend_method", required=False, allowed=TREND_METHODS),
        Column("trend_method_reason", required=False),
        # Monetary series: at current (nominal) or comparable (real) prices; blank for other units.
        Column("price_basis", required=False, allowed=PRICE_BASES),
        # Other names of the indicator in bureau tables (地区生产总值|GDP for 生产总值), separated by |: layouts and the
        # bulletin extractor read row labels and headers through them.
        Column("aliases", required=False),
        # Ranges by region level where one range cannot fit a county and the nation (GDP, population): a level not
        # named takes range_min..range_max (domain/ranges.py, docs/catalogue.md).
        Column("range_by_level", required=False, pattern=RANGE_BY_LEVEL),
        # A split indicator declared a breakdown of another (INCOME_URBAN: breakdown_of INCOME_ALL, breakdown
        # urbanisation=U): its figures and targets are served under that indicator with that breakdown, all their
        # vintages included; files may go on using the code.
        Column("breakdown_of", required=False, pattern=CODE),
        Column("breakdown", required=False, pattern=r"^[a-z]+=[A-Z0-9_]+(;[a-z]+=[A-Z0-9_]+)*$"),
        Column("aggregation", required=False, allowed=AGGREGATIONS),
    ),
    key=("indicator_code",),
    description="Indicator catalogue: one unit, value type, direction and plausible range per indicator.",
    catalogue=True,
    checked_against=("breakdowns",),
    rules=("range_ordered",),
)

SOURCES = Family(
    name="sources",
    pattern="catalogue/sources.csv",
    columns=(
        Column("source_id", pattern=r"^[a-z0-9][a-z0-9-]*$"),
        Column("title"),
        Column("publisher"),
        Column("published_on", "date", required=False),
        Column("date_precision", allowed=DATE_PRECISIONS),
        Column("citation"),
        Column("trust", allowed=TRUST_LEVELS),
        Column("note", required=False),
        # Under embargo until then: loaded, validated and shown to stewards, served nowhere before it.
        Column("release_at", "timestamp", required=False),
    ),
    key=("source_id",),
    description="Publications the figures and targets come from.",
    catalogue=True,
    rules=("released_after_publication",),
)

BREAKDOWNS = Family(
    name="breakdowns",
    pattern="catalogue/breakdowns.csv",
    columns=(
        Column("dimension", allowed=BREAKDOWN_DIMENSIONS),
        Column("code", pattern=r"^[A-Z0-9][A-Z0-9_]*$"),  # _T, the total, is every dimension's without a row
        Column("name_zh"),
        Column("name_en"),
        Column("aliases", required=False),  # how headers and row labels name the part (男性|男), separated by |
        # The parts marked true make up the total (男 + 女; age groups that do not overlap): totals are compared
        # with their sum, and a confidential part is found derivable from the total and the others.
        Column("sums_to_total", "bool"),
    ),
    key=("dimension", "code"),
    description="The codes of each breakdown dimension (sex, age group, urban / rural) besides the total _T.",
    catalogue=True,
    required_file=False,
)

OBSERVATIONS = Family(
    name="observations",
    pattern="observations/*",
    columns=(
        Column("region_code", pattern=REGION_CODE),
        Column("indicator_code", pattern=CODE),
        Column("period", "period"),
        Column("value", "quantity"),  # as printed: 1,876 / 15.5万 / 45.7% / 约40 / Ⅲ类 / — (missing)
        Column("unit"),
        Column("value_type", allowed=VALUE_TYPES),
        Column("obs_status", allowed=OBS_STATUSES),
        Column("qualifier", required=False, allowed=QUALIFIERS),  # else taken from the value's words
        Column("as_published"),
        Column("source_id"),
        Column("note", required=False),
        # Where in the original the figure is: a sheet and cell (表3-1!D5) or a JSON path, filled when a file is read
        # through a layout; a long file may give it too.
        Column("source_cell", required=False),
        Column("sex", required=False, default=TOTAL, pattern=BREAKDOWN_CODE),
        Column("age", required=False, default=TOTAL, pattern=BREAKDOWN_CODE),
        Column("urbanisation", required=False, default=TOTAL, pattern=BREAKDOWN_CODE),
        Column("conf_status", required=False, default=FREE, allowed=CONF_STATUSES),
    ),
    key=("region_code", "indicator_code", "period_label", "breakdown"),
    description="Published figures, one file per publication (CSV in UTF-8 or GBK/GB18030, or XLSX).",
    converts_units=True,
    rules=("codes_in_catalogue", "within_catalogue_range", "value_type_as_catalogue", "period_possible", "part_as_catalogue"),
)

TARGETS = Family(
    name="targets",
    pattern="targets/*",
    columns=(
        Column("target_id", pattern=r"^[A-Z0-9][A-Z0-9-]*$"),
        Column("plan_code", pattern=CODE),
        Column("plan_name"),
        Column("region_code", pattern=REGION_CODE),
        Column("indicator_code", pattern=CODE),
        Column("target_year", "int"),
        # The plan's own base year (2020 for the 14th Five-Year Plan) and where it comes from: no trend starts
        # earlier. Blank leaves the target without a progress status.
        Column("base_year", "int", required=False),
        Column("base_year_source", required=False),
        Column("comparator", allowed=COMPARATORS),
        Column("comparator_provenance", required=False, allowed=COMPARATOR_PROVENANCES),
        Column("target_value", "number"),
        Column("unit"),
        Column("binding", allowed=BINDINGS),
        Column("applies_to_subregions", "bool"),
        Column("subregion_basis", required=False, allowed=SUBREGION_BASES),  # required when applies_to_subregions
        Column("verified", "bool"),
        Column("source_id"),
        Column("as_published"),
        Column("note", required=False),
        Column("sex", required=False, default=TOTAL, pattern=BREAKDOWN_CODE),
        Column("age", required=False, default=TOTAL, pattern=BREAKDOWN_CODE),
        Column("urbanisation", required=False, default=TOTAL, pattern=BREAKDOWN_CODE),
    ),
    key=("target_id",),
    unique_across_files=True,
    description="Plan targets with their comparator, target year, binding status and citation.",
    rules=(
        "codes_in_catalogue",
        "within_catalogue_range",
        "unit_as_catalogue",
        "target_years",
        "target_provenance",
        "part_as_catalogue",
    ),
)

CATALOGUE_FAMILIES = (REGIONS, BREAKDOWNS, INDICATORS, SOURCES)  # in the order they load (checked_against)
FACT_FAMILIES = (OBSERVATIONS, TARGETS)
ALL_FAMILIES = CATALOGUE_FAMILIES + FACT_FAMILIES
