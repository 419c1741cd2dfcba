-- What changed over the decade the article looks back on: from the first annual figure in or after
-- var('decade_start_year') to the latest one, for level and grade series.
with series as (
    select o.*, i.direction
    from {{ ref('fct_observation') }} as o
    inner join {{ ref('dim_indicator') }} as i using (indicator_code)
    where o.value_type in ('level', 'grade')
      and o.period_kind = 'year'
      and o.obs_status in ('normal', 'provisional', 'estimated')
      and o.qualifier in ('exact', 'approximate')
      and o.start_year >= {{ var('decade_start_year') }}
),

ends as (
    select
        indicator_code,
        region_code,
        any_value(direction) as direction,
        any_value(value_type) as value_type,
        any_value(unit) as unit,
        min(start_year) as start_year,
        max(start_year) as end_year,
        arg_min(value, start_year) as start_value,
        arg_max(value, start_year) as end_value,
        arg_min(as_published, start_year) as start_as_published,
        arg_max(as_published, start_year) as end_as_published,
        arg_min(source_id, start_year) as start_source_id,
        arg_max(source_id, start_year) as end_source_id
    from series
    group by indicator_code, region_code
    having count(*) >= 2
)

select
    indicator_code,
    region_code,
    unit,
    value_type,
    direction,
    start_year,
    start_value,
    end_year,
    end_value,
    end_value - start_value as absolute_change,
    case when value_type = 'level' and start_value > 0
        then round(100 * (end_value - start_value) / start_value, 4)
    end as relative_change_pct,
    case when value_type = 'level' and start_value > 0 and end_value > 0
        then round(100 * (power(end_value / start_value, 1.0 / (end_year - start_year)) - 1), 4)
    end as cagr_pct,
    case direction
        when 'higher_better' then end_value > start_value
        when 'lower_better' then end_value < start_value
    end as improved,
    start_as_published,
    end_as_published,
    start_source_id,
    end_source_id
from ends
