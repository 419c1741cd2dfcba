select
    target_id, plan_code, plan_name, region_code, indicator_code, target_year, comparator,
    target_value, unit, binding, applies_to_subregions, verified, source_id, as_published, note
from {{ ref('stg_targets') }}
