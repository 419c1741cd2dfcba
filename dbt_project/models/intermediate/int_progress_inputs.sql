-- One row per target and region it binds, with the comparable series summarised from the plan's own base
-- year (never earlier) to the target year. Where the base year has no figure, the first figure within
-- var('base_year_fallback_years') after it opens the trend instead, and the row says so.
with targets as (
    select * from {{ ref('stg_targets') }}
),

regions as (
    select * from {{ ref('int_region_hierarchy') }}
),

levels as (
    select * from {{ ref('int_comparable_series') }} where value_type = 'level'  -- growth needs a level
),

-- A target binds its own region and, where it says so, every region below it that has figures. A region retired
-- by the target year is assessed as the region in force that succeeded it (distinct: a retired county and its
-- successor district both bound by a prefecture's target are one region from then on).
bound as (
    select
        t.*,
        case
            when r.retired_on is not null and r.retired_on <= {{ year_end('t.target_year') }} then r.current_region_code
            else r.region_code
        end as assessed_region_code
    from targets as t
    inner join regions as r
        on
            r.region_code = t.region_code
            or (t.applies_to_subregions and t.region_code in (r.parent_code, r.prefecture_code, r.province_code))
    where
        r.region_code = t.region_code
        or exists (
            select 1 from {{ ref('int_observation_vintages') }} as o
            where
                o.is_latest and o.indicator_code = t.indicator_code and o.region_code = r.region_code
                and o.breakdown = t.breakdown
        )
),

assessed as (
    select distinct * from bound
),

-- Successions inside a target's span (after its base year, by its target year): the assessed region's series
-- starts under another code, and the two are never joined into one trend: the row says so.
region_changes as (
    select
        a.target_id,
        a.assessed_region_code,
        {{ string_agg_ordered(
            "p.region_code || ' → ' || a.assessed_region_code || ' (' || cast(p.retired_on as string) || ')'",
            "p.region_code",
            "'; '",
        ) }} as region_change
    from assessed as a
    inner join regions as p
        on
            p.current_region_code = a.assessed_region_code
            and p.region_code <> a.assessed_region_code
            and p.retired_on > {{ year_end('a.base_year') }}
            and p.retired_on <= {{ year_end('a.target_year') }}
    group by a.target_id, a.assessed_region_code
),

series as (
    select
        a.target_id,
        a.assessed_region_code,
        count(*) as n_points,
        min(l.year) filter (where l.year <= a.base_year + {{ var('base_year_fallback_years') }}) as base_year,
        min_by(l.value, l.year) filter (where l.year <= a.base_year + {{ var('base_year_fallback_years') }}) as base_value,
        max(l.year) as latest_year,
        max_by(l.value, l.year) as latest_value,
        -- a progress row gives its figures away: served only when every one is free
        case when bool_and(l.conf_status = 'F') then 'F' else 'D' end as conf_status
    from assessed as a
    inner join levels as l
        on
            l.indicator_code = a.indicator_code
            and l.region_code = a.assessed_region_code
            and l.breakdown = a.breakdown  -- the total, unless the target names a part
            and l.year between a.base_year and a.target_year
    group by a.target_id, a.assessed_region_code
)

select
    a.target_id,
    a.assessed_region_code,
    a.region_code as target_region_code,
    case when a.assessed_region_code = a.region_code then 'own_region' else a.subregion_basis end as applies_as,
    a.indicator_code,
    a.breakdown,
    i.direction,
    i.trend_method,
    i.price_basis,
    a.plan_code,
    a.target_year,
    a.comparator,
    a.comparator_provenance,
    a.target_value,
    a.unit,
    a.binding,
    a.verified,
    a.base_year as plan_base_year,
    coalesce(s.n_points, 0) as n_points,
    s.base_year,
    s.base_value,
    s.base_year > a.base_year as base_is_fallback,
    s.latest_year,
    s.latest_value,
    coalesce(s.conf_status, 'F') as conf_status,
    c.region_change
from assessed as a
inner join {{ ref('stg_indicators') }} as i on i.indicator_code = a.indicator_code
left join series as s
    on s.target_id = a.target_id and s.assessed_region_code = a.assessed_region_code
left join region_changes as c
    on c.target_id = a.target_id and c.assessed_region_code = a.assessed_region_code
