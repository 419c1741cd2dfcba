-- Observations a file serves now, plus history that is never served:
-- - those its file withdrew most recently (deleted from raw/, or its new version refused) while the path serves nothing;
-- - those a new version of the same file changed in place (is_replaced: the old value, kept as a vintage) or no
--   longer has (withdrawn: "not in the file's new version"). A row the new version repeats unchanged is not history.
-- A figure is (indicator, region, period, breakdown). A split indicator the catalogue declares a breakdown of another
-- (INCOME_URBAN: breakdown_of INCOME, urbanisation=U) is read as that indicator and part here, every version of every
-- file included, so that its vintages stay one history. Rows loaded before breakdowns existed are totals, and free.
-- The state of each path as an aggregate joined back (not a window over the rows): a filter on the figure, from
-- the incremental models, then reaches the scan of the rows instead of waiting for a sort of all of them.
with figures as (
    select
        o.*,
        {{ figure_parts('o', 'm') }}
    from {{ source('raw', 'observations') }} as o
    left join {{ ref('stg_indicators') }} as m on m.indicator_code = o.indicator_code and m.breakdown_of is not null
),

keyed as (
    select *, {{ breakdown_key('figure_sex', 'figure_age', 'figure_urbanisation') }} as figure_breakdown
    from figures
),

path_state as (
    select
        _file_path,
        bool_or(_superseded_by_load is null) as path_serves,
        max(case when _withdrawn_reason is not null then _superseded_by_load end) as last_withdrawal
    from keyed
    group by _file_path
),

paths as (
    select o.*, p.path_serves, p.last_withdrawal
    from keyed as o
    inner join path_state as p on p._file_path = o._file_path
),

-- Rows a new version of their own file replaced (retired without a withdrawal reason), each with the value that
-- version gives the same figure, if it has it.
replaced as (
    select
        o._load_id,
        o._row,
        -- a confidential successor's value is not shown beside the free figure it replaced
        case when coalesce(n.conf_status, 'F') = 'F' then n.value end as replaced_by_value,
        n._load_id is not null as successor_has_figure
    from keyed as o
    left join keyed as n
        on
            n._load_id = o._superseded_by_load
            and n.figure_indicator = o.figure_indicator
            and n.region_code = o.region_code
            and n.period_label = o.period_label
            and n.figure_breakdown = o.figure_breakdown
    where o._superseded_by_load is not null and o._withdrawn_reason is null
),

history as (
    select
        p.*,
        r._load_id is not null and r.successor_has_figure as is_replaced,
        r._load_id is not null and not r.successor_has_figure as is_dropped,
        r.replaced_by_value
    from paths as p
    left join replaced as r on r._load_id = p._load_id and r._row = p._row
)

select
    o.figure_indicator as indicator_code,
    o.region_code,
    o.period_label,
    o.figure_breakdown as breakdown,
    o.figure_sex as sex,
    o.figure_age as age,
    o.figure_urbanisation as urbanisation,
    coalesce(o.conf_status, 'F') as conf_status,
    s.release_at as embargoed_until,  -- a release time still to come: loaded, shown to stewards, served nowhere
    o.indicator_code as published_indicator_code,
    o.period_kind,
    o.period_start,
    o.period_end,
    cast(year(o.period_start) as bigint) as start_year,  -- bigint on every engine (Spark's year() is int)
    cast(year(o.period_end) as bigint) as end_year,
    o.value,
    o.value_decimals,
    o.value_text,
    o.unit,
    o.unit_published,
    o.value_type,
    o.obs_status,
    o.qualifier,
    o.as_published,
    o.source_id,
    o.note,
    o.source_cell,
    o._file_path as file_path,
    o._row as file_line,
    o._load_id as load_id,
    o._superseded_by_load is not null and not o.is_replaced as is_withdrawn,
    cast(o._withdrawn_at as timestamp) as withdrawn_at,  -- Parquet's zone-less timestamp is timestamp_ntz on Spark
    case
        when o.is_dropped then {{ text_literal("not in the file's new version") }} else o._withdrawn_reason
    end as withdrawn_reason,
    o.is_replaced,
    o.replaced_by_value
from history as o
left join {{ ref('stg_sources') }} as s on s.source_id = o.source_id and s.release_at > {{ release_clock() }}
where
    o._superseded_by_load is null
    or (not o.path_serves and o._withdrawn_reason is not null and o._superseded_by_load = o.last_withdrawal)
    or o.is_dropped
    or (o.is_replaced and o.replaced_by_value is distinct from o.value)
