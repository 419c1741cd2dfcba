{{ config(materialized="table") }}  -- read by the pre-hooks of the incremental figure models
-- The figures a scoped build recomputes (macros/changed_figures.sql): every (indicator, region, period) with a
-- row, served or historical, in a file whose state changed since the last build, or from a source whose
-- catalogue entry changed. Historical rows count: a figure that a corrected file no longer has must go.
-- Empty when every figure is rebuilt.
-- Keyed as the figure models key them: a split indicator's code read as the indicator it is a breakdown of (every
-- breakdown of a changed figure is recomputed).
select distinct coalesce(m.breakdown_of, o.indicator_code) as indicator_code, o.region_code, o.period_label
from {{ source('raw', 'observations') }} as o
left join {{ ref('stg_indicators') }} as m on m.indicator_code = o.indicator_code and m.breakdown_of is not null
where
    {% if build_is_scoped() -%}
        o._file_path in (select s.observation_path from {{ build_scope_table() }} as s where s.observation_path is not null)
        or o.source_id in (select s.source_id from {{ build_scope_table() }} as s where s.source_id is not null)
    {%- else -%}
        false
    {%- endif %}
