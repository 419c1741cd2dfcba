{{ config(materialized="table") }}  -- read by the pre-hooks of the incremental figure models
-- The figures a scoped build recomputes (macros/changed_figures.sql): every (indicator, region, period) with a
-- row, served or historical, in a file whose state changed since the last build, or from a source whose
-- catalogue entry changed. Historical rows count: a figure that a corrected file no longer has must go.
-- Empty when every figure is rebuilt.
select distinct o.indicator_code, o.region_code, o.period_label
from {{ source('raw', 'observations') }} as o
where
    {% if build_is_scoped() -%}
        o._file_path in (select s.observation_path from {{ build_scope_table() }} as s where s.observation_path is not null)
        or o.source_id in (select s.source_id from {{ build_scope_table() }} as s where s.source_id is not null)
    {%- else -%}
        false
    {%- endif %}
