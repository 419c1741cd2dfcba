-- Which comparable annual figures (int_comparable_series) are present, per indicator, region and year of the
-- decade the article looks back on (seed article_spans), up to the latest year published. A year without a
-- figure is `missing` only where the series is published yearly (two consecutive years exist) and the year
-- lies within its published span; otherwise `not_expected` (a decade's two end points are not a yearly series).
-- Totals only: a breakdown is published where a bureau chooses to, not every year.
with annual as (
    select indicator_code, region_code, year
    from {{ ref('int_comparable_series') }}
    where breakdown = '_T'
),

series as (
    select
        indicator_code,
        region_code,
        min(year) as first_year,
        max(year) as last_year,
        bool_or(next_year = year + 1) as yearly
    from (
        select *, lead(year) over (partition by indicator_code, region_code order by year) as next_year
        from annual
    ) as a
    group by indicator_code, region_code
),

decade as (
    select start_year from {{ ref('article_spans') }} where indicator_code = '*'
),

latest as (
    select max(year) as latest_year from annual where year <= year(current_date)
),

years as (
    select {{ integer_series('decade.start_year', 'latest.latest_year') }} as year
    from decade cross join latest
),

grid as (
    select i.indicator_code, i.theme, r.region_code, y.year
    from {{ ref('dim_indicator') }} as i
    cross join (
        select d.region_code from {{ ref('dim_region') }} as d
        inner join {{ ref('report_regions') }} as f on d.region_code = f.region_code
        where f.show_completeness
    ) as r
    cross join years as y
    where i.value_type in ('level', 'grade')
)

select
    g.indicator_code,
    g.theme,
    g.region_code,
    g.year,
    a.indicator_code is not null as present,
    case
        when a.indicator_code is not null then 'present'
        when s.yearly and g.year between s.first_year and s.last_year then 'missing'
        else 'not_expected'
    end as status,
    g.year = (select latest_year from latest) as is_latest_year
from grid as g
left join annual as a
    on a.indicator_code = g.indicator_code and a.region_code = g.region_code and a.year = g.year
left join series as s
    on s.indicator_code = g.indicator_code and s.region_code = g.region_code
