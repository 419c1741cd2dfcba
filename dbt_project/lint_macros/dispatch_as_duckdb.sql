{#-
    For sqlfluff only (not a dbt macro path): its templater has no dbt adapter, so the dispatching macros of
    macros/portable.sql render their DuckDB spelling here, and the models are linted as DuckDB SQL.
-#}
{% macro string_agg_ordered(expression, order_by, separator) -%}
    {{ default__string_agg_ordered(expression, order_by, separator) }}
{%- endmacro %}

{% macro integer_series(start, stop) -%}
    {{ default__integer_series(start, stop) }}
{%- endmacro %}

{% macro number_text(value, decimals) -%}
    {{ default__number_text(value, decimals) }}
{%- endmacro %}

{% macro text_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro register_raw_zone() -%}
{%- endmacro %}

{#- macros/changed_figures.sql reads `target`, which the templater does not have. -#}
{% macro figure_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{#- ... and `execute` and run_query: linted as the scoped build's SQL. -#}
{% macro build_is_scoped() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro release_clock() -%}
    {{ default__release_clock() }}
{%- endmacro %}
