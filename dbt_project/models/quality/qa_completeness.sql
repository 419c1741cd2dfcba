-- Which comparable annual figures (int_comparable_series) are present, per indicator, region and year of the
-- decade the article looks back on (seed article_spans), up to the latest year published.
with annual as (
    select indicator_code, region_code, year
    from {{ ref('int_comparable_series') }}
),

decade as (
    select start_year from {{ ref('article_spans') }} where indicator_code = '*'
),

latest as (
    select max(year) as latest_year from annual where year <= year(current_date)
),

grid as (
    select i.indicator_code, i.theme, r.region_code, y.year
    from {{ ref('dim_indicator') }} as i
    cross join (select region_code from {{ ref('dim_region') }} where region_code in ('330000', '330800')) as r
    cross join latest
    cross join decade
    cross join range(decade.start_year, latest.latest_year + 1) as y(year)
    where i.value_type in ('level', 'grade')
)

select
    g.indicator_code,
    g.theme,
    g.region_code,
    g.year,
    a.indicator_code is not null as present,
    g.year = (select latest_year from latest) as is_latest_year
from grid as g
left join annual as a
    on a.indicator_code = g.indicator_code and a.region_code = g.region_code and a.year = g.year
