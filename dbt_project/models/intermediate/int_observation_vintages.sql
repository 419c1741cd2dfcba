{{ config(
    materialized=figure_materialization(),
    incremental_strategy="append",
    pre_hook="{{ delete_changed_figures() }}",
) }}
-- A table read by four models (ranked once, not once per reader), incremental by figure: a refresh re-ranks only
-- the figures its new loads touch (macros/changed_figures.sql).
-- depends_on: {{ ref('int_changed_figures') }}
-- Every published version of every figure, ranked by one deterministic rule that depends only on the
-- figures and their sources, never on the order files were loaded in:
--   1. the later publication date (an older publication loaded late never overrides a newer one);
--   2. on the same date, the more exact date (day before month before year or approximate);
--   3. then an official source before a secondary one;
--   4. then an exact figure before an approximate or bounded one, and more published decimals first;
--   5. then source id, file path and line, alphabetically: arbitrary but stable.
-- Two figures tied at steps 1-2 with different values are a conflict (quality model qa_conflicts), not a revision.
with observations as (
    select
        o.*,
        s.published_on,
        case s.date_precision when 'day' then 1 when 'month' then 2 when 'year' then 3 else 4 end as date_precision_rank,
        case s.trust when 'official' then 1 else 2 end as trust_rank,
        case o.qualifier when 'exact' then 1 when 'approximate' then 2 else 3 end as qualifier_rank
    from {{ ref('stg_observations') }} as o
    left join {{ ref('stg_sources') }} as s using (source_id)
    where
        o.value is not null  -- a missing-value marker (—, …) is kept in raw but is not a figure
        and o.embargoed_until is null  -- released: a figure under embargo is no vintage of anyone's yet
        and {{ only_changed_figures('o') }}
),

ranked as (
    select
        *,
        cast(row_number() over latest_first as bigint) as vintage_rank,
        count(*) over (partition by indicator_code, region_code, period_label, breakdown) as vintage_count,
        lead(value) over latest_first as previous_value,
        lead(source_id) over latest_first as previous_source_id,
        -- a revision is a later publication changing the figure; a same-date disagreement is a conflict
        coalesce(lead(value) over latest_first <> value, false)
        and (
            lead(published_on) over latest_first is distinct from published_on
            or lead(date_precision_rank) over latest_first <> date_precision_rank
        ) as is_revision
    from observations
    where not is_withdrawn and not is_replaced
    window latest_first as (
        partition by indicator_code, region_code, period_label, breakdown
        order by
            published_on desc nulls last, date_precision_rank, trust_rank, qualifier_rank,
            value_decimals desc nulls last, source_id, file_path, file_line
    )
)

-- the same columns in the same order in both branches (union by position: portable to every engine)
select *, vintage_rank = 1 as is_latest
from ranked

union all

select
    *,
    cast(null as bigint) as vintage_rank,
    cast(null as bigint) as vintage_count,
    cast(null as double) as previous_value,
    cast(null as string) as previous_source_id,
    false as is_revision,
    false as is_latest
from observations
where is_withdrawn or is_replaced
