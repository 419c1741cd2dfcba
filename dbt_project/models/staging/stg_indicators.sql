select
    indicator_code, name_zh, name_en, theme, unit, value_type, direction,
    range_min, range_max, description,
    -- the headline trend method: compound growth (Open SDG's method) unless the catalogue says linear
    coalesce(trend_method, 'compound') as trend_method,
    coalesce(trend_method_reason, 'Not stated in the catalogue: compound growth, the Open SDG default.') as trend_method_reason,
    price_basis,
    range_by_level,
    _load_id as load_id
from {{ source('raw', 'indicators') }}
where _superseded_by_load is null
