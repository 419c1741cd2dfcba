{{ config(
    materialized=figure_materialization(),
    incremental_strategy="append",
    on_schema_change="fail",
    pre_hook="{{ delete_changed_figures() }}",
) }}
-- depends_on: {{ ref('int_changed_figures') }}
-- The latest published value per (indicator, region, period, breakdown).
select
    v.indicator_code,
    v.region_code,
    v.period_label,
    v.breakdown,
    v.sex,
    v.age,
    v.urbanisation,
    v.conf_status,
    v.period_kind,
    v.period_start,
    v.period_end,
    v.start_year,
    v.end_year,
    v.value,
    v.value_decimals,
    v.unit,
    v.value_type,
    v.obs_status,
    v.qualifier,
    v.as_published,
    v.source_id,
    v.published_on,
    v.vintage_count,
    c.indicator_code is not null as in_comparable_series,
    v.note,
    v.source_cell
from {{ ref('int_observation_vintages') }} as v
left join {{ ref('int_comparable_series') }} as c
    on
        v.period_kind = 'year'
        and c.indicator_code = v.indicator_code
        and c.region_code = v.region_code
        and c.breakdown = v.breakdown
        and c.year = v.start_year
where v.is_latest and {{ only_changed_figures('v') }}
