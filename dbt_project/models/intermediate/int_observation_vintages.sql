-- Every published version of every figure, ordered by the publication date of its source
-- (not by load time: an older publication loaded late never overrides a newer one). On the same
-- date, an exactly dated publication outranks one whose date is approximate or only a year.
with observations as (
    select
        o.*,
        s.published_on,
        case s.date_precision when 'day' then 1 when 'month' then 2 when 'year' then 3 else 4 end as date_precision_rank
    from {{ ref('stg_observations') }} as o
    left join {{ ref('stg_sources') }} as s using (source_id)
    where o.value is not null  -- a missing-value marker (—, …) is kept in raw but is not a figure
),

ranked as (
    select
        *,
        row_number() over (
            partition by indicator_code, region_code, period_label
            order by published_on desc nulls last, date_precision_rank, load_id desc, source_id
        ) as vintage_rank,
        count(*) over (partition by indicator_code, region_code, period_label) as vintage_count,
        lag(value) over (
            partition by indicator_code, region_code, period_label
            order by published_on asc nulls first, date_precision_rank desc, load_id asc, source_id desc
        ) as previous_value
    from observations
)

select
    *,
    vintage_rank = 1 as is_latest,
    previous_value is not null and previous_value <> value as is_revision
from ranked
