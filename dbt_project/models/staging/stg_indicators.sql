select
    indicator_code, name_zh, name_en, theme, unit, value_type, direction,
    range_min, range_max, description, _load_id as load_id
from {{ source('raw', 'indicators') }}
where _superseded_by_load is null
