-- A target of a split indicator the catalogue declares a breakdown of another (INCOME_URBAN) is a target of that
-- indicator's part; a target that names no part is the total's.
with parts as (
    select
        t.*,
        {{ figure_parts('t', 'm') }}
    from {{ source('raw', 'targets') }} as t
    left join {{ ref('stg_indicators') }} as m on m.indicator_code = t.indicator_code and m.breakdown_of is not null
    where t._superseded_by_load is null
)

select
    target_id, plan_code, plan_name, region_code, figure_indicator as indicator_code,
    {{ breakdown_key('figure_sex', 'figure_age', 'figure_urbanisation') }} as breakdown,
    figure_sex as sex, figure_age as age, figure_urbanisation as urbanisation,
    target_year, base_year, base_year_source,
    comparator, comparator_provenance, target_value, unit, binding,
    applies_to_subregions, subregion_basis, verified, source_id, as_published, note,
    _file_path as file_path, _row as file_line, _load_id as load_id
from parts
