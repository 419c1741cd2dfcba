-- Observations a file serves now, plus history that is never served:
-- - those its file withdrew most recently (deleted from raw/, or its new version refused) while the path serves nothing;
-- - those a new version of the same file changed in place (is_replaced: the old value, kept as a vintage) or no
--   longer has (withdrawn: "not in the file's new version"). A row the new version repeats unchanged is not history.
-- The state of each path as an aggregate joined back (not a window over the rows): a filter on the figure, from
-- the incremental models, then reaches the scan of the rows instead of waiting for a sort of all of them.
with path_state as (
    select
        _file_path,
        bool_or(_superseded_by_load is null) as path_serves,
        max(case when _withdrawn_reason is not null then _superseded_by_load end) as last_withdrawal
    from {{ source('raw', 'observations') }}
    group by _file_path
),

paths as (
    select o.*, p.path_serves, p.last_withdrawal
    from {{ source('raw', 'observations') }} as o
    inner join path_state as p on p._file_path = o._file_path
),

-- Rows a new version of their own file replaced (retired without a withdrawal reason), each with the value that
-- version gives the same figure, if it has it.
replaced as (
    select
        o._load_id,
        o._row,
        n.value as replaced_by_value,
        n._load_id is not null as successor_has_figure
    from {{ source('raw', 'observations') }} as o
    left join {{ source('raw', 'observations') }} as n
        on
            n._load_id = o._superseded_by_load
            and n.indicator_code = o.indicator_code
            and n.region_code = o.region_code
            and n.period_label = o.period_label
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
    o.indicator_code,
    o.region_code,
    o.period_label,
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
where
    o._superseded_by_load is null
    or (not o.path_serves and o._withdrawn_reason is not null and o._superseded_by_load = o.last_withdrawal)
    or o.is_dropped
    or (o.is_replaced and o.replaced_by_value is distinct from o.value)
