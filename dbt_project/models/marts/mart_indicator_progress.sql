-- Progress against targets by published methods (see docs/methodology.md):
--   Statistics Canada / Eurostat ratio as in Open SDG: R = d * CAGR_observed / |CAGR_required|
--   UNSD projection ratio: CR = (projected - base) / (target - base)
-- Thresholds come from the progress_thresholds seed; direction comes from the catalogue.
with inputs as (
    select * from {{ ref('int_progress_inputs') }}
),

thresholds as (
    select * from {{ ref('progress_thresholds') }}
),

growth as (
    select
        *,
        case direction when 'higher_better' then 1 when 'lower_better' then -1 end as direction_sign,
        case comparator
            when 'gt' then latest_value > target_value
            when 'ge' then latest_value >= target_value
            when 'lt' then latest_value < target_value
            when 'le' then latest_value <= target_value
            -- "about X": reached once the indicator gets to X in its good direction
            when 'about' then case direction
                when 'higher_better' then latest_value >= target_value
                when 'lower_better' then latest_value <= target_value
            end
        end as target_met,
        case when n_points >= 2 and base_value > 0 and latest_value > 0 and latest_year > base_year
            then power(latest_value / base_value, 1.0 / (latest_year - base_year)) - 1
        end as cagr_observed,
        case when n_points >= 2 and base_value > 0 and target_value > 0 and target_year > base_year
            then power(target_value / base_value, 1.0 / (target_year - base_year)) - 1
        end as cagr_required
    from inputs
),

ratios as (
    select
        *,
        case when cagr_required <> 0 then direction_sign * cagr_observed / abs(cagr_required) end as progress_ratio,
        latest_value * power(1 + cagr_observed, target_year - latest_year) as projected_value
    from growth
),

projection as (
    select
        *,
        case when target_value <> base_value
            then (projected_value - base_value) / (target_value - base_value)
        end as unsd_projection_ratio
    from ratios
),

assessed as (
    select
        p.*,
        case
            when not p.verified and not {{ var('include_unverified_targets') }}
                then 'target not verified from its source'
            when p.direction_sign is null then 'indicator direction is neutral'
            when p.n_points < 2 then 'fewer than two comparable points up to the target year'
            when p.target_met then null
            when p.progress_ratio is null then 'growth rates undefined (zero, negative or unchanged values)'
        end as not_assessable_reason
    from projection as p
)

select
    a.target_id,
    a.indicator_code,
    a.assessed_region_code as region_code,
    a.target_region_code,
    a.plan_code,
    a.direction,
    a.base_year,
    a.base_value,
    a.latest_year,
    a.latest_value,
    a.n_points,
    a.target_year,
    a.comparator,
    a.target_value,
    a.unit,
    a.binding,
    a.verified,
    a.target_met,
    round(100 * a.cagr_observed, 4) as cagr_observed_pct,
    round(100 * a.cagr_required, 4) as cagr_required_pct,
    round(a.progress_ratio, 4) as progress_ratio,
    round(a.projected_value, 4) as projected_value,
    round(a.unsd_projection_ratio, 4) as unsd_projection_ratio,
    case
        when a.not_assessable_reason is not null then 'not_assessable'
        when a.target_met then 'target_achieved'
        else r.status
    end as status,
    case when a.not_assessable_reason is null and a.unsd_projection_ratio is not null then u.status end as unsd_status,
    a.not_assessable_reason
from assessed as a
left join thresholds as r
    on r.method = 'progress_ratio'
    and a.progress_ratio >= coalesce(r.lower_bound, -'infinity'::double)
    and a.progress_ratio < coalesce(r.upper_bound, 'infinity'::double)
left join thresholds as u
    on u.method = 'unsd_projection_ratio'
    and a.unsd_projection_ratio >= coalesce(u.lower_bound, -'infinity'::double)
    and a.unsd_projection_ratio < coalesce(u.upper_bound, 'infinity'::double)
