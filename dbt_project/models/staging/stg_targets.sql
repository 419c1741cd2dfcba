select
    target_id, plan_code, plan_name, region_code, indicator_code, target_year, base_year, base_year_source,
    comparator, comparator_provenance, target_value, unit, binding,
    applies_to_subregions, subregion_basis, verified, source_id, as_published, note,
    _file_path as file_path, _row as file_line, _load_id as load_id
from {{ source('raw', 'targets') }}
where _superseded_by_load is null
