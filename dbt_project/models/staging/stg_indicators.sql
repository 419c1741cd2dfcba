select
    indicator_code, name_zh, name_en, theme, unit, value_type, direction,
    range_min, range_max, description,
    -- the headline trend method: compound growth (Open SDG's method) unless the catalogue says linear
    coalesce(trend_method, 'compound') as trend_method,
    coalesce(trend_method_reason, 'Not stated in the catalogue: compound growth, the Open SDG default.') as trend_method_reason,
    price_basis,
    range_by_level,
    aggregation,
    -- a split indicator declared a breakdown of another (INCOME_URBAN → INCOME, urbanisation=U)
    breakdown_of,
    breakdown as breakdown_of_part,
    coalesce(nullif(regexp_extract(breakdown, 'sex=([A-Z0-9_]+)', 1), ''), '_T') as moved_sex,
    coalesce(nullif(regexp_extract(breakdown, 'age=([A-Z0-9_]+)', 1), ''), '_T') as moved_age,
    coalesce(nullif(regexp_extract(breakdown, 'urbanisation=([A-Z0-9_]+)', 1), ''), '_T') as moved_urbanisation,
    _load_id as load_id
from {{ source('raw', 'indicators') }}
where _superseded_by_load is null
