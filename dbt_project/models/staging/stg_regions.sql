select region_code, name_zh, name_en, level, parent_code, successor_code, retired_on, _load_id as load_id
from {{ source('raw', 'regions') }}
where _superseded_by_load is null
