-- The indicators figures are served under. A split indicator declared a breakdown of another (INCOME_URBAN) is not
-- one: its figures are that indicator's part (fct_observation.breakdown).
select
    indicator_code, name_zh, name_en, theme, unit, value_type, direction, range_min, range_max, description,
    trend_method, trend_method_reason, price_basis, range_by_level, aggregation
from {{ ref('stg_indicators') }}
where breakdown_of is null
