-- Confidential figures (conf_status other than F) that the published ones give away by differencing, one level of
-- hierarchy, for indicators whose parts add up (aggregation sum):
--   part_of_total   a part of a breakdown, when the total and every other part of its partition are free;
--   total_of_parts  a total, when every part of one dimension's partition is free;
--   region_in_parent  a region, when its parent region and every other region under it (county-level units, not
--                   the urban-districts aggregate) are free;
--   parent_of_regions a region, when every region under it is free.
-- The publication is held while any row here is not confirmed by a steward (audit.disclosure_confirmations, make
-- confirm-disclosure): mark more cells confidential (conf_status D), or confirm.
with figures as (
    select o.indicator_code, o.region_code, o.period_label, o.breakdown, o.value, o.conf_status
    from {{ ref('fct_observation') }} as o
    inner join {{ ref('stg_indicators') }} as i on i.indicator_code = o.indicator_code
    where i.aggregation = 'sum'
),

partition_codes as (
    select dimension, code, dimension || '=' || code as breakdown from {{ ref('stg_breakdowns') }} where sums_to_total
),

partition_sizes as (
    select dimension, count(*) as n_codes from partition_codes group by dimension
),

children as (
    select region_code, parent_code from {{ ref('stg_regions') }}
    where parent_code is not null and level <> 'urban_districts'
),

child_counts as (
    select parent_code, count(*) as n_children from children group by parent_code
),

-- per figure and dimension: how many parts of the partition are free, and which (the free ones, listed)
free_parts as (
    select
        f.indicator_code, f.region_code, f.period_label, p.dimension,
        sum(case when f.conf_status = 'F' then 1 else 0 end) as n_free,
        {{ string_agg_ordered("case when f.conf_status = 'F' then f.breakdown end", "f.breakdown", "', '") }} as parts
    from figures as f
    inner join partition_codes as p on p.breakdown = f.breakdown
    group by f.indicator_code, f.region_code, f.period_label, p.dimension
),

-- per parent region and figure: how many regions under it are free
free_children as (
    select
        c.parent_code, f.indicator_code, f.period_label, f.breakdown,
        sum(case when f.conf_status = 'F' then 1 else 0 end) as n_free,
        {{ string_agg_ordered("case when f.conf_status = 'F' then f.region_code end", "f.region_code", "', '") }}
            as regions
    from figures as f
    inner join children as c on c.region_code = f.region_code
    group by c.parent_code, f.indicator_code, f.period_label, f.breakdown
),

derivable as (
    -- a confidential part: the total is free and so is every other part of the partition
    select
        f.*, 'part_of_total' as derivation,
        'the total (_T) less ' || fp.parts as derived_from
    from figures as f
    inner join partition_codes as p on p.breakdown = f.breakdown
    inner join partition_sizes as s on s.dimension = p.dimension
    inner join free_parts as fp
        on
            fp.indicator_code = f.indicator_code and fp.region_code = f.region_code
            and fp.period_label = f.period_label and fp.dimension = p.dimension
    inner join figures as t
        on
            t.indicator_code = f.indicator_code and t.region_code = f.region_code
            and t.period_label = f.period_label and t.breakdown = '_T'
    where f.conf_status <> 'F' and t.conf_status = 'F' and fp.n_free = s.n_codes - 1

    union all

    -- a confidential total: every part of one dimension's partition is free
    select f.*, 'total_of_parts' as derivation, 'the sum of ' || fp.parts as derived_from
    from figures as f
    inner join free_parts as fp
        on fp.indicator_code = f.indicator_code and fp.region_code = f.region_code and fp.period_label = f.period_label
    inner join partition_sizes as s on s.dimension = fp.dimension
    where f.conf_status <> 'F' and f.breakdown = '_T' and fp.n_free = s.n_codes

    union all

    -- a confidential region: its parent is free and so is every other region under it
    select
        f.*, 'region_in_parent' as derivation,
        c.parent_code || ' less ' || fc.regions as derived_from
    from figures as f
    inner join children as c on c.region_code = f.region_code
    inner join child_counts as n on n.parent_code = c.parent_code
    inner join free_children as fc
        on
            fc.parent_code = c.parent_code and fc.indicator_code = f.indicator_code
            and fc.period_label = f.period_label and fc.breakdown = f.breakdown
    inner join figures as p
        on
            p.region_code = c.parent_code and p.indicator_code = f.indicator_code
            and p.period_label = f.period_label and p.breakdown = f.breakdown
    where f.conf_status <> 'F' and p.conf_status = 'F' and fc.n_free = n.n_children - 1

    union all

    -- a confidential parent region: every region under it is free
    select f.*, 'parent_of_regions' as derivation, 'the sum of ' || fc.regions as derived_from
    from figures as f
    inner join child_counts as n on n.parent_code = f.region_code
    inner join free_children as fc
        on
            fc.parent_code = f.region_code and fc.indicator_code = f.indicator_code
            and fc.period_label = f.period_label and fc.breakdown = f.breakdown
    where f.conf_status <> 'F' and fc.n_free = n.n_children
)

select indicator_code, region_code, period_label, breakdown, conf_status, value, derivation, derived_from
from derivable
