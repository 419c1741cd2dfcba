{#- Breakdowns (orchestration/domain/breakdowns.py says the same in Python). -#}

{#- A figure's breakdown as one key (orchestration/domain/breakdowns.py writes the same): `_T` for the total, else
    `sex=F`, `age=Y_LT15;urbanisation=R`. concat_ws skips NULLs on both engines. -#}
{% macro breakdown_key(sex, age, urbanisation) -%}
    coalesce(nullif(concat_ws(
        ';',
        case when {{ sex }} <> '_T' then 'sex=' || {{ sex }} end,
        case when {{ age }} <> '_T' then 'age=' || {{ age }} end,
        case when {{ urbanisation }} <> '_T' then 'urbanisation=' || {{ urbanisation }} end
    ), ''), '_T')
{%- endmacro %}

{#- The columns of a raw row (alias `row`) read as the figure it is: a split indicator the catalogue declares a part of
    another (`split`, its stg_indicators row, joined where breakdown_of is set: INCOME_URBAN → INCOME_ALL,
    urbanisation U) is that indicator and part; a dimension the row leaves blank (or a row loaded before breakdowns
    existed) is the total. -#}
{% macro figure_parts(row, split) -%}
    coalesce({{ split }}.breakdown_of, {{ row }}.indicator_code) as figure_indicator,
    {%- for dim in ['sex', 'age', 'urbanisation'] %}
    case
        when coalesce({{ split }}.moved_{{ dim }}, '_T') <> '_T' then {{ split }}.moved_{{ dim }}
        else coalesce({{ row }}.{{ dim }}, '_T')
    end as figure_{{ dim }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
