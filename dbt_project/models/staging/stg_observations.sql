-- Observations a file serves now, plus those its file withdrew most recently (deleted from raw/, or its
-- new version refused) while the path serves nothing: withdrawn rows stay visible in the vintage history,
-- never in what is served.
with paths as (
    select
        *,
        bool_or(_superseded_by_load is null) over (partition by _file_path) as path_serves,
        max(case when _withdrawn_reason is not null then _superseded_by_load end) over (partition by _file_path) as last_withdrawal
    from {{ source('raw', 'observations') }}
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
