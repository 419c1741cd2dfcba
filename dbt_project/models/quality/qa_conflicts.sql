-- Conflicts: one figure (indicator, region, period, breakdown) given different values by publications of the same
-- date. The served value follows the rule in int_observation_vintages; stewards see every candidate here.
{{ config(
    materialized=figure_materialization(),
    incremental_strategy="append",
    pre_hook="{{ delete_changed_figures() }}",
) }}
-- depends_on: {{ ref('int_changed_figures') }}
with candidates as (
    select v.*
    from {{ ref('int_observation_vintages') }} as v
    where not v.is_withdrawn and not v.is_replaced and {{ only_changed_figures('v') }}
),

-- groups of one date whose figures differ: found by a cheap min/max first, so the candidates' text below is
-- built only for them (a count(distinct) and a string over every group took 13 s at 10^7 figures)
disagreeing as (
    select indicator_code, region_code, period_label, breakdown, published_on, date_precision_rank
    from candidates
    group by indicator_code, region_code, period_label, breakdown, published_on, date_precision_rank
    having min(value) <> max(value)
),

tied as (
    select
        c.indicator_code, c.region_code, c.period_label, c.breakdown, c.published_on, c.date_precision_rank,
        count(*) as n_figures,
        count(distinct value) as n_values,
        min(vintage_rank) as best_rank,
        -- every candidate with its published decimals, unit and place, best ranked first
        {{ string_agg_ordered(
            number_text('value', 'coalesce(value_decimals, 2)')
            ~ " || ' ' || unit || ' (' || file_path || ' line ' || cast(file_line as string) || ')'",
            'vintage_rank',
            "'; '"
        ) }} as candidates
    from candidates as c
    inner join disagreeing as d
        on
            d.indicator_code = c.indicator_code
            and d.region_code = c.region_code
            and d.period_label = c.period_label
            and d.breakdown = c.breakdown
            and d.published_on is not distinct from c.published_on  -- a source may have no date
            and d.date_precision_rank = c.date_precision_rank
    group by c.indicator_code, c.region_code, c.period_label, c.breakdown, c.published_on, c.date_precision_rank
)

select
    t.indicator_code,
    t.region_code,
    t.period_label,
    t.breakdown,
    t.published_on,
    t.n_figures,
    t.n_values,
    c.value as chosen_value,
    c.source_id as chosen_source_id,
    c.file_path as chosen_file_path,
    c.file_line as chosen_file_line,
    c.is_latest as chosen_is_served,
    t.candidates
from tied as t
inner join candidates as c
    on
        c.indicator_code = t.indicator_code
        and c.region_code = t.region_code
        and c.period_label = t.period_label
        and c.breakdown = t.breakdown
        and c.vintage_rank = t.best_rank
