-- Published parts against their totals, one dimension at a time (sex=F and sex=M against _T; a part broken down by
-- two dimensions at once is not compared). Reported to stewards, never refused: a bureau's parts and totals are
-- rounded apart. Only for indicators whose catalogue says how parts make the total (aggregation):
--   sum      every part of the dimension's partition (sums_to_total) is published: the total is their sum, within
--            the rounding of each published figure (half a unit of its last decimal);
--   average  two parts or more: the total lies between the smallest and the largest, within rounding.
with observations as (
    select o.indicator_code, o.region_code, o.period_label, o.breakdown, o.value, o.value_decimals, i.aggregation
    from {{ ref('fct_observation') }} as o
    inner join {{ ref('stg_indicators') }} as i on i.indicator_code = o.indicator_code
    where i.aggregation is not null
),

partition_sizes as (
    select dimension, count(*) as n_codes from {{ ref('stg_breakdowns') }} where sums_to_total group by dimension
),

parts as (
    select
        o.*,
        b.dimension,
        b.code,
        b.sums_to_total,
        0.5 * power(10, -coalesce(o.value_decimals, 0)) as rounding
    from observations as o
    inner join {{ ref('stg_breakdowns') }} as b on o.breakdown = b.dimension || '=' || b.code
),

grouped as (
    select
        indicator_code,
        region_code,
        period_label,
        dimension,
        aggregation,
        count(*) as n_parts,
        sum(case when sums_to_total then 1 else 0 end) as n_summing,
        sum(case when sums_to_total then value end) as parts_sum,
        sum(case when sums_to_total then rounding end) as parts_sum_rounding,
        min(value) as parts_min,
        max(value) as parts_max,
        max(rounding) as part_rounding,
        {{ string_agg_ordered("code || ' ' || " ~ number_text('value', 'coalesce(value_decimals, 0)'), 'code', "'; '") }}
            as parts
    from parts
    group by indicator_code, region_code, period_label, dimension, aggregation
),

compared as (
    select
        g.*,
        t.value as total_value,
        case
            when g.aggregation = 'sum' then 0.5 * power(10, -coalesce(t.value_decimals, 0)) + g.parts_sum_rounding
            else 0.5 * power(10, -coalesce(t.value_decimals, 0)) + g.part_rounding
        end + 1e-9 as tolerance
    from grouped as g
    inner join observations as t
        on
            t.indicator_code = g.indicator_code
            and t.region_code = g.region_code
            and t.period_label = g.period_label
            and t.breakdown = '_T'
    left join partition_sizes as p on p.dimension = g.dimension
    where (g.aggregation = 'sum' and g.n_summing = p.n_codes) or (g.aggregation = 'average' and g.n_parts >= 2)
)

select
    indicator_code,
    region_code,
    period_label,
    dimension,
    aggregation,
    total_value,
    n_parts,
    case when aggregation = 'sum' then parts_sum end as parts_sum,
    parts_min,
    parts_max,
    round(tolerance, 9) as tolerance,
    case
        when aggregation = 'sum' then round(total_value - parts_sum, 9)
        when total_value < parts_min then round(total_value - parts_min, 9)
        when total_value > parts_max then round(total_value - parts_max, 9)
        else 0
    end as difference,
    case
        when aggregation = 'sum' then abs(total_value - parts_sum) <= tolerance
        else total_value >= parts_min - tolerance and total_value <= parts_max + tolerance
    end as passed,
    parts
from compared
