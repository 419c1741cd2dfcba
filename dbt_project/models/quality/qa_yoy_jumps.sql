-- Comparable annual level figures that moved more than their indicator's threshold since the year before.
with series as (
    select indicator_code, region_code, breakdown, year, value, source_id
    from {{ ref('int_comparable_series') }}
    where value_type = 'level'
),

pairs as (
    select
        *,
        lag(year) over w as previous_year,
        lag(value) over w as previous_value,
        lag(source_id) over w as previous_source_id
    from series
    window w as (partition by indicator_code, region_code, breakdown order by year)
),

thresholds as (
    select
        p.*,
        coalesce(t.max_yoy_change_pct, d.max_yoy_change_pct) as threshold_pct,
        round(100 * (p.value - p.previous_value) / p.previous_value, 2) as change_pct
    from pairs as p
    left join {{ ref('anomaly_thresholds') }} as t on t.indicator_code = p.indicator_code
    cross join (select max_yoy_change_pct from {{ ref('anomaly_thresholds') }} where indicator_code = '*') as d
    where p.previous_year = p.year - 1 and p.previous_value <> 0
)

select
    indicator_code, region_code, breakdown, previous_year, year, previous_value, value, change_pct, threshold_pct,
    previous_source_id, source_id
from thresholds
where abs(change_pct) > threshold_pct
