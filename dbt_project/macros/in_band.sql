{#- True when `value` lies in the seed band `band`: lower_bound <= value < upper_bound, an empty bound open. -#}
{% macro in_band(band, value) -%}
    ({{ band }}.lower_bound is null or {{ value }} >= {{ band }}.lower_bound)
    and ({{ band }}.upper_bound is null or {{ value }} < {{ band }}.upper_bound)
{%- endmacro %}
