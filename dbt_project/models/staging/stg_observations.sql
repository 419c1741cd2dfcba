-- Observations a file serves now, plus those its file withdrew most recently (deleted from raw/, or its
-- new version refused): withdrawn rows stay visible in the vintage history, never in what is served.
with latest_record as (
    select file_path, load_id, status, finished_at, note
    from {{ source('audit', 'loads') }}
    where family = 'observations'
    qualify row_number() over (partition by file_path order by load_id desc) = 1
)

select
    o.indicator_code,
    o.region_code,
    o.period_label,
    o.period_kind,
    o.period_start,
    o.period_end,
    year(o.period_start) as start_year,
    year(o.period_end) as end_year,
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
    case when o._superseded_by_load is not null then l.finished_at end as withdrawn_at,
    case l.status
        when 'withdrawn' then 'file no longer in the raw folder'
        when 'quarantined' then 'the file''s new version was refused (see the quality report)'
    end as withdrawn_reason
from {{ source('raw', 'observations') }} as o
left join latest_record as l
    on l.file_path = o._file_path and l.load_id = o._superseded_by_load
where o._superseded_by_load is null
   or l.status in ('withdrawn', 'quarantined')
