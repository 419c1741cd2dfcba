select
    indicator_code,
    region_code,
    period_label,
    period_kind,
    period_start,
    period_end,
    year(period_start) as start_year,
    year(period_end) as end_year,
    value,
    value_decimals,
    unit,
    value_type,
    obs_status,
    qualifier,
    as_published,
    source_id,
    note,
    _file_path as file_path,
    _row as file_line,
    _load_id as load_id
from {{ source('raw', 'observations') }}
where _superseded_by_load is null
