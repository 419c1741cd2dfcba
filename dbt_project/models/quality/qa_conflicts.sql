-- Conflicts: one figure (indicator, region, period) given different values by publications of the same
-- date. The served value follows the rule in int_observation_vintages; stewards see every candidate here.
with candidates as (
    select *
    from {{ ref('int_observation_vintages') }}
    where not is_withdrawn
),

tied as (
    select
        indicator_code, region_code, period_label, published_on, date_precision_rank,
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
    from candidates
    group by indicator_code, region_code, period_label, published_on, date_precision_rank
    having count(distinct value) > 1
)

select
    t.indicator_code,
    t.region_code,
    t.period_label,
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
        and c.vintage_rank = t.best_rank
