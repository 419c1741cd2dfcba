-- Change over a decade of comparable figures (int_comparable_series), per series and span:
--   article            the span the article states: 这十年 = 2012 → 2021, 2013 → 2021 for the air figures
--                      (seed article_spans), where the series has figures for both ends;
--   longest_available  the series' first to its latest comparable figure.
-- A span shorter than var('decade_min_span_years') is not a decade and is left out.
with series as (
    select * from {{ ref('int_comparable_series') }}
),

spans_seed as (
    select * from {{ ref('article_spans') }}
),

series_ends as (
    select indicator_code, region_code, breakdown, min(year) as first_year, max(year) as last_year
    from series
    group by indicator_code, region_code, breakdown
),

spans as (
    select
        k.indicator_code,
        k.region_code,
        k.breakdown,
        'article' as span_kind,
        coalesce(own.start_year, d.start_year) as start_year,
        coalesce(own.end_year, d.end_year) as end_year
    from series_ends as k
    left join spans_seed as own on own.indicator_code = k.indicator_code
    cross join (select start_year, end_year from spans_seed where indicator_code = '*') as d

    union all

    select indicator_code, region_code, breakdown, 'longest_available' as span_kind, first_year as start_year, last_year as end_year
    from series_ends
)

select
    sp.indicator_code,
    sp.region_code,
    sp.breakdown,
    sp.span_kind,
    s.unit,
    s.value_type,
    s.direction,
    s.price_basis,
    sp.start_year,
    s.value as start_value,
    s.obs_status as start_obs_status,
    sp.end_year,
    e.value as end_value,
    e.obs_status as end_obs_status,
    sp.end_year - sp.start_year as span_years,
    e.value - s.value as absolute_change,
    case
        when s.value_type = 'level' and s.value > 0
            then round(100 * (e.value - s.value) / s.value, 4)
    end as relative_change_pct,
    case
        when s.value_type = 'level' and s.value > 0 and e.value > 0
            then round(100 * (power(e.value / s.value, 1 / cast(sp.end_year - sp.start_year as double)) - 1), 4)
    end as cagr_pct,
    case s.direction
        when 'higher_better' then e.value > s.value
        when 'lower_better' then e.value < s.value
    end as improved,
    s.as_published as start_as_published,
    e.as_published as end_as_published,
    s.source_id as start_source_id,
    e.source_id as end_source_id,
    -- confidential when either end is: the change gives it away (only F is served)
    case when s.conf_status = 'F' and e.conf_status = 'F' then 'F' else 'D' end as conf_status
from spans as sp
inner join series as s
    on
        s.indicator_code = sp.indicator_code
        and s.region_code = sp.region_code
        and s.breakdown = sp.breakdown
        and s.year = sp.start_year
inner join series as e
    on
        e.indicator_code = sp.indicator_code
        and e.region_code = sp.region_code
        and e.breakdown = sp.breakdown
        and e.year = sp.end_year
where sp.end_year - sp.start_year >= {{ var('decade_min_span_years') }}
