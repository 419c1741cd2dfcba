{#-
    Where the raw layer comes from. On DuckDB, raw.<family> are the ingest's own tables: nothing to do.
    Elsewhere (Spark), raw.<family> is a view over the raw zone, the Parquet copy of every load that the ingest
    writes to <data>/raw_zone/<family>/load_id=<id>/ (orchestration/publish/raw_zone.py). Run as on-run-start.
-#}
{% macro register_raw_zone() -%}
    {{ return(adapter.dispatch('register_raw_zone')()) }}
{%- endmacro %}

{% macro default__register_raw_zone() -%}
{%- endmacro %}

{% macro spark__register_raw_zone() -%}
    {%- if not execute %}{{ return('') }}{% endif -%}
    {%- set zone = var('raw_zone', env_var('QZ_DATA_DIR', '../data') ~ '/raw_zone') -%}
    {%- do run_query('create database if not exists raw') -%}
    {%- for source_node in graph.sources.values() if source_node.source_name == 'raw' -%}
        {%- do run_query(
            'create or replace view raw.' ~ source_node.identifier
            ~ ' as select * from parquet.`' ~ zone ~ '/' ~ source_node.identifier ~ '`'
        ) -%}
    {%- endfor -%}
{%- endmacro %}
