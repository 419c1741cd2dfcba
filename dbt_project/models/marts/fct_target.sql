select
    target_id, plan_code, plan_name, region_code, indicator_code, breakdown, sex, age, urbanisation,
    target_year, base_year, base_year_source,
    comparator, comparator_provenance, target_value, unit, binding, applies_to_subregions, subregion_basis,
    verified, source_id, as_published, note
from {{ ref('stg_targets') }}
