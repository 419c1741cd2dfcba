-- Observations a file serves now, plus those its file withdrew most recently (deleted from raw/, or its
-- new version refused) while the path serves nothing: withdrawn rows stay visible in the vintage history,
-- never in what is served.
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
    o._file_path as file_path,
    o._row as file_line,
    o._load_id as load_id,
    o._superseded_by_load is not null as is_withdrawn,
    cast(o._withdrawn_at as timestamp) as withdrawn_at,  -- Parquet's zone-less timestamp is timestamp_ntz on Spark
    o._withdrawn_reason as withdrawn_reason
from paths as o
where
    o._superseded_by_load is null
    or (not o.path_serves and o._withdrawn_reason is not null and o._superseded_by_load = o.last_withdrawal)
