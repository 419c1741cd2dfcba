"""The three dataflows and their structures, one declaration each (pure): which mart, which components, the SQL
that gives each component's text in the SDMX-CSV file. docs/sdmx.md shows the same mapping as tables.

The SQL reads schema marts (and the temporary table sdmx_units that export.py fills from the catalogue's units); a
value that is NULL is an empty cell. Every coded column is checked against its codelist after writing (check.py).
"""

from __future__ import annotations

from orchestration.domain.families import FREE
from orchestration.sdmx.model import ATTRIBUTE, DIMENSION, MEASURE, TIME, Component, Flow, Name

UNITS_TABLE = "sdmx_units"  # (unit, code, mult): unit_measure() of every catalogue unit, made by export.py


def _text(column: str) -> str:
    return f"cast({column} as varchar)"


def _boolean(column: str) -> str:
    return f"case when {column} then 'true' when not {column} then 'false' end"


# SDMX's time period of a figure (ISO 8601 as SDMX writes it): 2021, 2022-S1, 2022-Q3, 2022-03; a year-to-date
# figure is the month it ends in (its ACCUMULATION says YTD); a span of years is a time range (2012-01-01/P10Y).
TIME_PERIOD_SQL = """case o.period_kind
        when 'year' then strftime(o.period_start, '%Y')
        when 'half_year' then strftime(o.period_start, '%Y') || '-S' || case when month(o.period_start) <= 6 then '1' else '2' end
        when 'quarter' then strftime(o.period_start, '%Y') || '-Q' || cast(quarter(o.period_start) as varchar)
        when 'month' then strftime(o.period_start, '%Y-%m')
        when 'year_to_date' then strftime(o.period_end, '%Y-%m')
        when 'span' then strftime(o.period_start, '%Y-%m-%d') || '/P' || cast(o.end_year - o.start_year + 1 as varchar) || 'Y'
    end"""
FREQ_SQL = """case o.period_kind
        when 'year' then 'A' when 'half_year' then 'S' when 'quarter' then 'Q' when 'month' then 'M'
        when 'year_to_date' then 'M' when 'span' then '_O'
    end"""
OBS_STATUS_SQL = """case when o.value is null then 'M' else case o.obs_status
        when 'normal' then 'A' when 'provisional' then 'P' when 'estimated' then 'E' when 'forecast' then 'F'
        when 'break' then 'B'
    end end"""

INDICATOR = Component("INDICATOR", Name("Indicator", "指标"), DIMENSION, "indicator_code", "CL_INDICATOR", True)
UNIT_MEASURE = Component("UNIT_MEASURE", Name("Unit of measure", "计量单位"), ATTRIBUTE, "u.code", "CL_UNIT_MEASURE", True)
UNIT_MULT = Component("UNIT_MULT", Name("Unit multiplier", "单位乘数"), ATTRIBUTE, _text("u.mult"), "CL_UNIT_MULT", True)
SOURCE = Component("SOURCE", Name("Source publication", "资料来源"), ATTRIBUTE, "source_id", "CL_SOURCE")
AS_PUBLISHED = Component("AS_PUBLISHED", Name("Text as published", "原文"), ATTRIBUTE, "as_published")
NOTE = Component("OBS_NOTE", Name("Note", "注释"), ATTRIBUTE, "note")
PLAN = Component("PLAN", Name("Plan", "规划"), DIMENSION, "plan_code", "CL_PLAN", True)
TARGET = Component("TARGET", Name("Target", "目标"), DIMENSION, "target_id", "CL_TARGET", True)
TARGET_YEAR = Component("TIME_PERIOD", Name("Time period", "时间"), TIME, _text("target_year"), required=True)
# A concept has one name in the structure (the concept scheme's), whatever flow uses it: the meaning of REF_AREA,
# OBS_VALUE and BASE_YEAR in each flow is in docs/sdmx.md.
REF_AREA = Component("REF_AREA", Name("Reference area", "地区"), DIMENSION, "region_code", "CL_AREA", True)
BASE_YEAR = Component("BASE_YEAR", Name("Plan base year", "规划基期"), ATTRIBUTE, _text("base_year"))


# The breakdown dimensions, SDMX's cross-domain concepts: `_T` is the total (codelists from the breakdown catalogue).
BREAKDOWNS = (
    Component("SEX", Name("Sex", "性别"), DIMENSION, "sex", "CL_SEX", True),
    Component("AGE", Name("Age", "年龄"), DIMENSION, "age", "CL_AGE", True),
    Component("URBANISATION", Name("Urban or rural", "城乡"), DIMENSION, "urbanisation", "CL_URBANISATION", True),
)


def _observation_value(sql: str) -> Component:
    return Component("OBS_VALUE", Name("Observation value", "观测值"), MEASURE, sql)


OBSERVATIONS = Flow(
    "OBSERVATIONS",
    Name("Indicator observations (the latest published value)", "指标观测值（最新公布值）"),
    # The figures, and beside them those published as not available (status M, no value: never 0).
    # Free figures only (conf_status F): a confidential one stays in the writer's warehouse.
    "(select indicator_code, region_code, sex, age, urbanisation, period_kind, period_start, period_end, start_year, "
    "end_year, value, value_decimals, unit, value_type, obs_status, qualifier, source_id, source_cell, as_published, "
    f"note from marts.fct_observation where conf_status = '{FREE}' union all "
    "select indicator_code, region_code, sex, age, urbanisation, period_kind, period_start, period_end, start_year, "
    "end_year, null, null, unit, value_type, 'missing', null, source_id, source_cell, as_published, note "
    f"from marts.fct_missing_figure where conf_status = '{FREE}') as o left join sdmx_units as u using (unit)",
    (
        INDICATOR,
        REF_AREA,
        *BREAKDOWNS,
        Component("FREQ", Name("Frequency", "频率"), DIMENSION, FREQ_SQL, "CL_FREQ", True),
        Component(
            "ACCUMULATION",
            Name("Accumulation", "累计方式"),
            DIMENSION,
            "case when o.period_kind = 'year_to_date' then 'YTD' else '_Z' end",
            "CL_ACCUMULATION",
            True,
        ),
        Component("TIME_PERIOD", Name("Time period", "时间"), TIME, TIME_PERIOD_SQL, required=True),
        _observation_value(_text("o.value")),
        Component("OBS_STATUS", Name("Observation status", "观测值状态"), ATTRIBUTE, OBS_STATUS_SQL, "CL_OBS_STATUS", True),
        UNIT_MEASURE,
        UNIT_MULT,
        Component(
            "DECIMALS", Name("Decimals as published", "公布的小数位数"), ATTRIBUTE, _text("o.value_decimals"), "CL_DECIMALS"
        ),
        Component("QUALIFIER", Name("Qualifier", "数值限定"), ATTRIBUTE, "o.qualifier", "CL_QUALIFIER"),
        Component("VALUE_TYPE", Name("Value type", "数值类型"), ATTRIBUTE, "o.value_type", "CL_VALUE_TYPE"),
        SOURCE,
        Component("SOURCE_CELL", Name("Place in the source (cell or response path)", "原表位置"), ATTRIBUTE, "o.source_cell"),
        AS_PUBLISHED,
        NOTE,
    ),
)

TARGETS = Flow(
    "TARGETS",
    Name("Plan targets", "规划目标"),
    "marts.fct_target as t left join sdmx_units as u using (unit)",
    (
        PLAN,
        INDICATOR,
        REF_AREA,  # the region whose plan sets the target
        *BREAKDOWNS,  # the part of the indicator the target is for
        TARGET,
        TARGET_YEAR,
        _observation_value(_text("t.target_value")),
        Component("COMPARATOR", Name("Comparator", "比较方式"), ATTRIBUTE, "t.comparator", "CL_COMPARATOR", True),
        UNIT_MEASURE,
        UNIT_MULT,
        Component("BINDING", Name("Binding or anticipatory", "指标属性"), ATTRIBUTE, "t.binding", "CL_BINDING"),
        BASE_YEAR,
        Component("VERIFIED", Name("Read in its source", "已核实"), ATTRIBUTE, _boolean("t.verified")),
        SOURCE,
        AS_PUBLISHED,
        NOTE,
    ),
)

PROGRESS = Flow(
    "PROGRESS",
    Name("Progress towards plan targets", "规划目标进展评估"),
    f"(select * from marts.mart_indicator_progress where conf_status = '{FREE}') as p left join sdmx_units as u using (unit)",
    (
        PLAN,
        INDICATOR,
        REF_AREA,  # the region assessed
        TARGET,
        TARGET_YEAR,
        _observation_value(_text("p.progress_ratio")),  # the headline method's progress ratio
        Component("PROGRESS_STATUS", Name("Progress status", "进展状态"), ATTRIBUTE, "p.status", "CL_PROGRESS_STATUS", True),
        Component(
            "UNSD_STATUS", Name("UNSD progress band", "联合国统计司进展区间"), ATTRIBUTE, "p.unsd_status", "CL_UNSD_STATUS"
        ),
        Component(
            "HEADLINE_METHOD", Name("Headline trend method", "主趋势方法"), ATTRIBUTE, "p.headline_method", "CL_TREND_METHOD"
        ),
        Component(
            "TARGET_AREA", Name("Region whose plan sets the target", "规划所属地区"), ATTRIBUTE, "p.target_region_code", "CL_AREA"
        ),
        Component("NOT_ASSESSABLE_REASON", Name("Why not assessable", "无法评估原因"), ATTRIBUTE, "p.not_assessable_reason"),
        BASE_YEAR,  # the year the trend starts
        Component("BASE_VALUE", Name("Value in the base year", "基期值"), ATTRIBUTE, _text("p.base_value")),
        Component("LATEST_YEAR", Name("Latest year", "最新年份"), ATTRIBUTE, _text("p.latest_year")),
        Component("LATEST_VALUE", Name("Latest value", "最新值"), ATTRIBUTE, _text("p.latest_value")),
        Component("TARGET_VALUE", Name("Target value", "目标值"), ATTRIBUTE, _text("p.target_value")),
        Component(
            "PROJECTED_VALUE", Name("Projected value at the target year", "目标年预测值"), ATTRIBUTE, _text("p.projected_value")
        ),
        UNIT_MEASURE,
        UNIT_MULT,
    ),
)

FLOWS = (OBSERVATIONS, TARGETS, PROGRESS)
