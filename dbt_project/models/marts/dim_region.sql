select region_code, name_zh, name_en, level, parent_code, prefecture_code, province_code, successor_code, retired_on, current_region_code
from {{ ref('int_region_hierarchy') }}
