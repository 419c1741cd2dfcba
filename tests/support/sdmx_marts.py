"""Marts made by hand for the SDMX tests: the tables dbt would build (their columns and types read from the dbt
YAML contracts in dbt_project/models/marts/), filled with a small catalogue and any number of observations of
every period kind, without running a refresh."""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

MARTS_YAML = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
# One region block per period kind: 50 regions, ten for the commonest kinds.
KINDS = [("year", 10), ("quarter", 10), ("month", 10), ("year_to_date", 10), ("half_year", 5), ("span", 5)]


# What dbt gives a figure that names no breakdown and no confidentiality: the total, free to publish.
DEFAULTS = dict.fromkeys(("breakdown", "sex", "age", "urbanisation"), " default '_T'") | {"conf_status": " default 'F'"}


def create_marts(path: Path) -> None:
    """Empty marts with the contracts' columns and types."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        for yml in sorted(MARTS_YAML.glob("*.yml")):
            for model in yaml.safe_load(yml.read_text(encoding="utf-8"))["models"]:
                columns = ", ".join(
                    f'"{c["name"]}" {c["data_type"].replace("string", "varchar")}{DEFAULTS.get(c["name"], "")}'
                    for c in model["columns"]
                )
                con.execute(f"create table marts.{model['name']} ({columns})")


def fill_catalogue(con: duckdb.DuckDBPyConnection, indicators: int = 100, regions: int = 50) -> None:
    con.execute(
        "insert into marts.dim_breakdown values ('sex', '_T', '合计', 'Total', false), ('sex', 'F', '女', 'Female', true), "
        "('sex', 'M', '男', 'Male', true), ('age', '_T', '合计', 'Total', false), "
        "('urbanisation', '_T', '合计', 'Total', false)"
    )
    con.execute(
        "insert into marts.dim_indicator (indicator_code, name_zh, name_en, theme, unit, value_type, direction) "
        "select 'IND_' || lpad(i::varchar, 3, '0'), '指标' || i, 'Indicator ' || i, 'economy', "
        "['%', '亿元', '万人', '元', 'μg/m³'][i % 5 + 1], 'level', 'higher_better' from range(?) t(i)",
        [indicators],
    )
    con.execute(
        "insert into marts.dim_region (region_code, name_zh, name_en, level, parent_code, current_region_code) "
        "select (330800 + i)::varchar, '地区' || i, 'Region ' || i, 'county', '330800', (330800 + i)::varchar from range(?) t(i)",
        [regions],
    )
    con.execute(
        "insert into marts.dim_source (source_id, title, publisher, published_on, date_precision, trust) values "
        "('test-yearbook', '测试年鉴', '衢州市统计局', date '2024-06-01', 'day', 'official')"
    )
    con.execute(
        "insert into marts.fct_target (target_id, plan_code, plan_name, region_code, indicator_code, target_year, "
        "base_year, comparator, target_value, unit, binding, verified, source_id, as_published) values "
        "('T-1', 'TEST_PLAN', '测试规划', '330800', 'IND_000', 2025, 2020, 'ge', 70.0, '%', 'binding', true, "
        "'test-yearbook', '达到70%')"
    )
    con.execute(
        "insert into marts.mart_indicator_progress (target_id, indicator_code, region_code, target_region_code, "
        "plan_code, target_year, progress_ratio, status, headline_method, unit, target_value) values "
        "('T-1', 'IND_000', '330800', '330800', 'TEST_PLAN', 2025, 0.8, 'moderate_progress', 'compound', '%', 70.0), "
        "('T-1', 'IND_000', '330801', '330800', 'TEST_PLAN', 2025, null, 'not_assessable', 'compound', '%', 70.0)"
    )


# Period of observation i: its kind by region block, its place in the kind by i // 5000 (20 periods per 10^5).
_PERIODS = """
with base as (
    select i, i % 100 as ind, (i // 100) % 50 as reg, i // 5000 as p from range(?) t(i)
), kinded as (
    select *, case
        when reg < 10 then 'year' when reg < 20 then 'quarter' when reg < 30 then 'month'
        when reg < 40 then 'year_to_date' when reg < 45 then 'half_year' else 'span' end as kind
    from base
)
select
    i, 'IND_' || lpad(ind::varchar, 3, '0') as indicator_code, (330800 + reg)::varchar as region_code, kind,
    case kind
        when 'year' then make_date(2000 + p, 1, 1)
        when 'quarter' then make_date(2000 + p // 4, (p % 4) * 3 + 1, 1)
        when 'month' then make_date(2000 + p // 12, p % 12 + 1, 1)
        when 'year_to_date' then make_date(2000 + p, 1, 1)
        when 'half_year' then make_date(2000 + p // 2, (p % 2) * 6 + 1, 1)
        else make_date(1990 + p, 1, 1)
    end as period_start,
    case kind
        when 'year' then make_date(2000 + p, 12, 31)
        when 'quarter' then last_day(make_date(2000 + p // 4, (p % 4) * 3 + 3, 1))
        when 'month' then last_day(make_date(2000 + p // 12, p % 12 + 1, 1))
        when 'year_to_date' then make_date(2000 + p, 9, 30)
        when 'half_year' then last_day(make_date(2000 + p // 2, (p % 2) * 6 + 6, 1))
        else make_date(1999 + p, 12, 31)
    end as period_end,
    case kind
        when 'year' then (2000 + p)::varchar
        when 'quarter' then (2000 + p // 4)::varchar || 'Q' || (p % 4 + 1)::varchar
        when 'month' then (2000 + p // 12)::varchar || 'M' || lpad((p % 12 + 1)::varchar, 2, '0')
        when 'year_to_date' then (2000 + p)::varchar || 'M01-09'
        when 'half_year' then (2000 + p // 2)::varchar || 'H' || (p % 2 + 1)::varchar
        else (1990 + p)::varchar || '-' || (1999 + p)::varchar
    end as period_label
from kinded
"""


def fill_observations(con: duckdb.DuckDBPyConnection, count: int) -> None:
    """`count` figures (100 indicators × 50 regions × count / 5,000 periods of each kind): every seventh thousandth
    published as not available (fct_missing_figure), some with notes, cells and a provisional status."""
    con.execute(f"create temporary table generated as {_PERIODS}", [count])
    con.execute(
        "insert into marts.fct_observation by name "
        "select indicator_code, region_code, period_label, kind as period_kind, period_start, period_end, "
        "year(period_start) as start_year, year(period_end) as end_year, round((i * 37 % 100000) / 100.0, 2) as value, "
        "2 as value_decimals, ['%', '亿元', '万人', '元', 'μg/m³'][(i % 100) % 5 + 1] as unit, 'level' as value_type, "
        "case when i % 11 = 0 then 'provisional' else 'normal' end as obs_status, "
        "case when i % 13 = 0 then 'approximate' else 'exact' end as qualifier, "
        "'约' || i as as_published, 'test-yearbook' as source_id, date '2024-06-01' as published_on, 1 as vintage_count, "
        "kind = 'year' as in_comparable_series, case when i % 17 = 0 then 'note, with \"quotes\"\n and a line' end as note, "
        "case when i % 19 = 0 then '主要指标!B' || i end as source_cell "
        "from generated where i % 7000 <> 3"
    )
    con.execute(
        "insert into marts.fct_missing_figure by name "
        "select indicator_code, region_code, period_label, kind as period_kind, period_start, period_end, "
        "year(period_start) as start_year, year(period_end) as end_year, "
        "['%', '亿元', '万人', '元', 'μg/m³'][(i % 100) % 5 + 1] as unit, 'level' as value_type, '…' as as_published, "
        "'test-yearbook' as source_id, date '2024-06-01' as published_on, '主要指标!C' || i as source_cell, "
        "'test.xlsx' as file_path, i as file_line "
        "from generated where i % 7000 = 3"
    )
    con.execute("drop table generated")


def build(path: Path, observations: int) -> None:
    create_marts(path)
    with duckdb.connect(str(path)) as con:
        fill_catalogue(con)
        fill_observations(con, observations)
