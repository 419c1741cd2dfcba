-- The one definition of a comparable series: the served figures that a trend, a decade change or a
-- year-on-year comparison may set against each other. An annual figure of a level or grade indicator, as
-- published last (latest vintage), that is a measurement (normal, provisional or estimated: not a forecast,
-- not a break in series) and a point value (exact or approximate: not a lower or upper bound).
-- Progress, decade change, completeness and year-on-year jumps are all built on this model.
select
    v.indicator_code,
    v.region_code,
    v.breakdown,
    v.start_year as year,
    v.value,
    v.value_type,
    v.unit,
    i.direction,
    i.price_basis,
    v.obs_status,
    v.qualifier,
    v.as_published,
    v.source_id,
    v.conf_status
from {{ ref('int_observation_vintages') }} as v
inner join {{ ref('stg_indicators') }} as i on i.indicator_code = v.indicator_code
where
    v.is_latest
    and v.period_kind = 'year'
    and v.value_type in ('level', 'grade')
    and v.obs_status in ('normal', 'provisional', 'estimated')
    and v.qualifier in ('exact', 'approximate')
