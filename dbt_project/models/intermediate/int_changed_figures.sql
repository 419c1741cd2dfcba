{{ config(materialized="table") }}  -- read by the pre-hooks of the incremental figure models
-- The figures an incremental build recomputes (macros/changed_figures.sql): every (indicator, region, period)
-- with a row, served or historical, in a file whose state changed since the last build, or from a source whose
-- catalogue entry changed. Historical rows count: a figure that a corrected file no longer has must go.
-- Empty when every figure is rebuilt.
select distinct indicator_code, region_code, period_label
from {{ source('raw', 'observations') }}
where
    {% if var('changed_paths', none) is none -%}
        false
    {%- else -%}
        {{ in_text_list('_file_path', var('changed_paths')) }}
        or {{ in_text_list('source_id', var('changed_sources', [])) }}
    {%- endif %}
