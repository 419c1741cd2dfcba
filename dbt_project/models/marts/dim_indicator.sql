select
    indicator_code, name_zh, name_en, theme, unit, value_type, direction, range_min, range_max, description,
    trend_method, trend_method_reason, price_basis, range_by_level
from {{ ref('stg_indicators') }}
