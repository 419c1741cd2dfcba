-- One row per target and assessed region, with the comparable series summarised:
-- annual level figures (normal, provisional or estimated; exact or approximate) up to the target year.
with targets as (
    select * from {{ ref('fct_target') }}
),

regions as (
    select * from {{ ref('dim_region') }}
),

comparable as (
    select o.indicator_code, o.region_code, o.start_year as year, o.value
    from {{ ref('fct_observation') }} as o
    where o.value_type = 'level'
      and o.period_kind = 'year'
      and o.obs_status in ('normal', 'provisional', 'estimated')
      and o.qualifier in ('exact', 'approximate')
),

-- A target binds its own region and, where it says so, every region below it that has figures.
assessed as (
    select t.*, r.region_code as assessed_region_code
    from targets as t
    inner join regions as r
        on r.region_code = t.region_code
        or (t.applies_to_subregions and t.region_code in (r.parent_code, r.prefecture_code, r.province_code))
    where r.region_code = t.region_code
       or exists (
           select 1 from {{ ref('fct_observation') }} as o
           where o.indicator_code = t.indicator_code and o.region_code = r.region_code
       )
),

series as (
    select
        a.target_id,
        a.assessed_region_code,
        count(*) as n_points,
        min(c.year) as base_year,
        arg_min(c.value, c.year) as base_value,
        max(c.year) as latest_year,
        arg_max(c.value, c.year) as latest_value
    from assessed as a
    inner join comparable as c
        on c.indicator_code = a.indicator_code
        and c.region_code = a.assessed_region_code
        and c.year <= a.target_year
    group by a.target_id, a.assessed_region_code
)

select
    a.target_id,
    a.assessed_region_code,
    a.region_code as target_region_code,
    a.indicator_code,
    i.direction,
    a.plan_code,
    a.target_year,
    a.comparator,
    a.target_value,
    a.unit,
    a.binding,
    a.verified,
    coalesce(s.n_points, 0) as n_points,
    s.base_year,
    s.base_value,
    s.latest_year,
    s.latest_value
from assessed as a
inner join {{ ref('dim_indicator') }} as i using (indicator_code)
left join series as s
    on s.target_id = a.target_id and s.assessed_region_code = a.assessed_region_code
