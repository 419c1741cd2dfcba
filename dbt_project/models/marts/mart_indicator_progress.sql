-- Progress against targets by published methods (see docs/methodology.md), from the plan's base year on:
--   compound: Statistics Canada / Eurostat ratio as in Open SDG, R = d * CAGR_observed / |CAGR_required|
--   linear:   the same ratio of absolute changes per year, R = d * slope_observed / |slope_required|
--   UNSD projection ratio of the headline method: CR = (projected - base) / (target - base)
-- The catalogue picks the headline method per indicator; method_sensitive flags rows where the two disagree.
-- Status bands and the minimum trend length come from the progress_thresholds seed.
with inputs as (
    select * from {{ ref('int_progress_inputs') }}
),

thresholds as (
    select * from {{ ref('progress_thresholds') }}
),

trend as (
    select
        *,
        case direction when 'higher_better' then 1 when 'lower_better' then -1 end as direction_sign,
        latest_year - base_year as trend_years,
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
        case
            when base_value > 0 and latest_value > 0 and latest_year > base_year
                then power(latest_value / base_value, 1 / cast(latest_year - base_year as double)) - 1
        end as cagr_observed,
        case
            when base_value > 0 and target_value > 0 and target_year > base_year
                then power(target_value / base_value, 1 / cast(target_year - base_year as double)) - 1
        end as cagr_required,
        case
            when latest_year > base_year
                then (latest_value - base_value) / (latest_year - base_year)
        end as change_per_year_observed,
        case
            when target_year > base_year
                then (target_value - base_value) / (target_year - base_year)
        end as change_per_year_required
    from inputs
),

methods as (
    select
        *,
        case when cagr_required <> 0 then direction_sign * cagr_observed / abs(cagr_required) end as compound_progress_ratio,
        latest_value * power(1 + cagr_observed, target_year - latest_year) as compound_projected_value,
        case
            when change_per_year_required <> 0
                then direction_sign * change_per_year_observed / abs(change_per_year_required)
        end as linear_progress_ratio,
        latest_value + change_per_year_observed * (target_year - latest_year) as linear_projected_value
    from trend
),

headline as (
    select
        *,
        case trend_method when 'linear' then linear_progress_ratio else compound_progress_ratio end as progress_ratio,
        case trend_method when 'linear' then linear_projected_value else compound_projected_value end as projected_value
    from methods
),

assessed as (
    select
        h.*,
        case
            when h.target_value <> h.base_value
                then (h.projected_value - h.base_value) / (h.target_value - h.base_value)
        end as unsd_projection_ratio,
        case
            when not h.verified and not {{ var('include_unverified_targets') }}
                then 'target not verified from its source'
            when h.direction_sign is null then 'indicator direction is neutral'
            when h.plan_base_year is null then 'the target has no plan base year'
            when h.latest_year is null then {{ text_literal("no comparable figure from the plan's base year to the target year") }}
            -- an achieved target needs no trend: the latest figure alone decides it
            when h.target_met then null
            when h.base_year is null then {{ text_literal("no figure for the plan's base year") }}
            when coalesce(e.status, '') <> 'assessable' then 'too short a trend'
            when h.progress_ratio is null then 'growth rates undefined (zero, negative or unchanged values)'
        end as not_assessable_reason
    from headline as h
    left join thresholds as e
        on e.method = 'trend_years' and {{ in_band('e', 'h.trend_years') }}
),

statuses as (
    select
        a.*,
        case
            when a.not_assessable_reason is not null then null
            when a.target_met then 'target_achieved'
            else c.status
        end as compound_status,
        case
            when a.not_assessable_reason is not null then null
            when a.target_met then 'target_achieved'
            else l.status
        end as linear_status,
        u.status as unsd_band
    from assessed as a
    left join thresholds as c
        on c.method = 'progress_ratio' and {{ in_band('c', 'a.compound_progress_ratio') }}
    left join thresholds as l
        on l.method = 'progress_ratio' and {{ in_band('l', 'a.linear_progress_ratio') }}
    left join thresholds as u
        on u.method = 'unsd_projection_ratio' and {{ in_band('u', 'a.unsd_projection_ratio') }}
)

select
    target_id,
    indicator_code,
    breakdown,
    assessed_region_code as region_code,
    target_region_code,
    applies_as,
    plan_code,
    direction,
    price_basis,
    plan_base_year,
    base_year,
    base_value,
    base_is_fallback,
    latest_year,
    latest_value,
    n_points,
    trend_years,
    target_year,
    comparator,
    target_value,
    unit,
    binding,
    verified,
    comparator_provenance,
    target_met,
    trend_method as headline_method,
    round(100 * cagr_observed, 4) as cagr_observed_pct,
    round(100 * cagr_required, 4) as cagr_required_pct,
    round(compound_progress_ratio, 4) as compound_progress_ratio,
    round(compound_projected_value, 4) as compound_projected_value,
    compound_status,
    round(change_per_year_observed, 4) as change_per_year_observed,
    round(change_per_year_required, 4) as change_per_year_required,
    round(linear_progress_ratio, 4) as linear_progress_ratio,
    round(linear_projected_value, 4) as linear_projected_value,
    linear_status,
    case when not_assessable_reason is null then coalesce(compound_status, '') <> coalesce(linear_status, '') end as method_sensitive,
    round(progress_ratio, 4) as progress_ratio,
    round(projected_value, 4) as projected_value,
    round(unsd_projection_ratio, 4) as unsd_projection_ratio,
    case
        when not_assessable_reason is not null then 'not_assessable'
        when trend_method = 'linear' then linear_status
        else compound_status
    end as status,
    case when not_assessable_reason is null then unsd_band end as unsd_status,
    not_assessable_reason,
    region_change,
    conf_status
from statuses
