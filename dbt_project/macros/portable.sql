{#-
    The few SQL spellings that differ between DuckDB (the default) and Spark, one macro each, dispatched on the
    adapter: the models are one copy for every engine. Everything else in the models is SQL both accept.
-#}

{#- The values of `expression` over a group, in the order of `order_by`, joined by `separator`. -#}
{% macro string_agg_ordered(expression, order_by, separator) -%}
    {{ return(adapter.dispatch('string_agg_ordered')(expression, order_by, separator)) }}
{%- endmacro %}

{% macro default__string_agg_ordered(expression, order_by, separator) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__string_agg_ordered(expression, order_by, separator) -%}
    array_join(
        transform(array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ expression }}))), x -> x.v),
        {{ separator }}
    )
{%- endmacro %}

{#- A select-list expression giving one row per whole number from `start` to `stop`, both included. -#}
{% macro integer_series(start, stop) -%}
    {{ return(adapter.dispatch('integer_series')(start, stop)) }}
{%- endmacro %}

{% macro default__integer_series(start, stop) -%}
    unnest(generate_series({{ start }}, {{ stop }}))
{%- endmacro %}

{% macro spark__integer_series(start, stop) -%}
    explode(sequence({{ start }}, {{ stop }}))
{%- endmacro %}

{#- A string literal holding `text`, whatever quotes it contains (Spark reads '' as two literals, not a quote). -#}
{% macro text_literal(text) -%}
    '{{ dbt.escape_single_quotes(text) }}'
{%- endmacro %}

{#- A number as text with thousands separators and `decimals` places (31,468; 58.1): the same on every engine. -#}
{% macro number_text(value, decimals) -%}
    {{ return(adapter.dispatch('number_text')(value, decimals)) }}
{%- endmacro %}

{% macro default__number_text(value, decimals) -%}
    format('{:,.{}f}', {{ value }}, {{ decimals }})
{%- endmacro %}

{% macro spark__number_text(value, decimals) -%}
    format_number({{ value }}, {{ decimals }})
{%- endmacro %}

{#- The last day of a year given as a number (a column or an expression): the same date on every engine. -#}
{% macro year_end(year) -%}
    make_date(cast({{ year }} as int), 12, 31)
{%- endmacro %}

{#- The instant release times are compared with (naive UTC): the clock the refresh set for this build
    (audit.release_clock, written by orchestration/store/dbt_builds.py), else now. -#}
{% macro release_clock() -%}
    {{ return(adapter.dispatch('release_clock')()) }}
{%- endmacro %}

{% macro default__release_clock() -%}
    coalesce((select max(as_of) from audit.release_clock), cast(timezone('UTC', current_timestamp) as timestamp))
{%- endmacro %}

{% macro spark__release_clock() -%}
    to_utc_timestamp(current_timestamp(), current_timezone())
{%- endmacro %}
